import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { MsClock } from '#shared/domain/clock.ts';
import {
  DELIVERY_LOG_TTL_DAYS,
  StockChangeEventSchema,
  type ClaimOutcome,
  type DeliveryLogEntry,
  type DeliveryStatus,
  type OutboundStore,
} from '#shared/outbound/deliver.ts';
import type { StockChangeEvent } from '#shared/outbound/events.ts';
import { SubscriptionSchema, type Subscription } from '#shared/outbound/subscriptions.ts';
import { exists, sdkExpression, updateExpression } from '#shared/table/expression.ts';
import { claimable, unconfirmedBelow } from '#shared/table/version-claim.ts';
import { SUBSCRIPTIONS_PK } from '#shared/table/keys.ts';

/**
 * Outbound state in the hub table:
 *
 * | item | pk | sk |
 * |---|---|---|
 * | subscription | `SUBS` | `<subscription id>` (all in one partition: one Query lists them) |
 * | version sent / confirmed | `SUBV#<subscription id>` | `<subject>` (`avail:<channel>:<sku>`, `bal:<sku>:<location>`) |
 * | delivery log | `DLV#<subscription id>` | `<event time>#<event id>` (TTL `ttl`) |
 */
export { SUBSCRIPTIONS_PK };
const subKey = (id: string) => ({ pk: SUBSCRIPTIONS_PK, sk: id });
const versionKey = (id: string, subject: string) => ({ pk: `SUBV#${id}`, sk: subject });
const logKey = (id: string, event: StockChangeEvent) => ({ pk: `DLV#${id}`, sk: `${event.at}#${event.id}` });

const isConditionFailed = (err: unknown) => err instanceof Error && err.name === 'ConditionalCheckFailedException';

export interface DynamoOutboundStore extends OutboundStore {
  putSubscription(sub: Subscription): Promise<void>;
  removeSubscription(id: string): Promise<boolean>;
  enable(id: string): Promise<void>;
  /** the log between two ISO times (inclusive), oldest first */
  deliveries(id: string, from: string, to: string): Promise<DeliveryLogEntry[]>;
}

export function dynamoOutboundStore(
  doc: DynamoDBDocumentClient,
  tableName: string,
  opts: { now: MsClock; subscriptionsMaxAgeSeconds?: number },
): DynamoOutboundStore {
  const maxAgeMs = (opts.subscriptionsMaxAgeSeconds ?? 30) * 1000;
  let cached: { at: number; subs: Promise<Subscription[]> } | undefined;

  async function querySubscriptions(): Promise<Subscription[]> {
    const out: Subscription[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': SUBSCRIPTIONS_PK },
          ExclusiveStartKey: start,
        }),
      );
      for (const it of res.Items ?? []) {
        const parsed = SubscriptionSchema.safeParse(it);
        if (parsed.success) out.push(parsed.data);
      }
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  return {
    listSubscriptions() {
      const t = opts.now();
      if (!cached || t - cached.at >= maxAgeMs) {
        const subs = querySubscriptions();
        cached = { at: t, subs };
        subs.catch(() => {
          cached = undefined;
        });
      }
      return cached.subs;
    },
    async getSubscription(id) {
      const res = await doc.send(new GetCommand({ TableName: tableName, Key: subKey(id), ConsistentRead: true }));
      const parsed = SubscriptionSchema.safeParse(res.Item);
      return parsed.success ? parsed.data : undefined;
    },
    async putSubscription(sub) {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...SubscriptionSchema.parse(sub), ...subKey(sub.id), type: 'subscription' },
        }),
      );
      cached = undefined;
    },
    async removeSubscription(id) {
      const res = await doc.send(new DeleteCommand({ TableName: tableName, Key: subKey(id), ReturnValues: 'ALL_OLD' }));
      cached = undefined;
      return res.Attributes !== undefined;
    },
    async enable(id) {
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: subKey(id),
          ...sdkExpression(updateExpression({ set: { status: 'active' }, remove: ['disabledReason'] }, exists('pk'))),
        }),
      );
      cached = undefined;
    },
    async disable(id, reason, at) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: subKey(id),
            ...sdkExpression(
              updateExpression(
                { set: { status: 'disabled', disabledReason: reason.slice(0, 1000), disabledAt: at.toISOString() } },
                exists('pk'),
              ),
            ),
          }),
        );
      } catch (err) {
        if (!isConditionFailed(err)) throw err; // removed meanwhile: nothing to disable
      }
      cached = undefined;
    },
    async claim(id, subject, version, replay): Promise<ClaimOutcome> {
      // a replay may send the confirmed version again; nothing ever sends one below the one sent
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: versionKey(id, subject),
            ...sdkExpression(updateExpression({ set: { sent: version } }, claimable(version, replay))),
          }),
        );
        return 'claimed';
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
      }
      const res = await doc.send(
        new GetCommand({ TableName: tableName, Key: versionKey(id, subject), ConsistentRead: true }),
      );
      const sent = Number(res.Item?.sent ?? -1);
      return sent > version ? 'superseded' : 'duplicate';
    },
    async confirm(id, subject, version, at) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: versionKey(id, subject),
            ...sdkExpression(
              updateExpression(
                { set: { confirmed: version, confirmedAt: at.toISOString() } },
                unconfirmedBelow(version),
              ),
            ),
          }),
        );
      } catch (err) {
        if (!isConditionFailed(err)) throw err; // a newer one was confirmed first: keep it
      }
    },
    async log(entry) {
      const ttl = Math.floor(Date.parse(entry.updatedAt) / 1000) + DELIVERY_LOG_TTL_DAYS * 86_400;
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...logKey(entry.subscriptionId, entry.event),
            type: 'delivery',
            subscriptionId: entry.subscriptionId,
            // the event as text: its ids stay strings, its numbers as they were
            event: JSON.stringify(entry.event),
            status: entry.status,
            attempts: entry.attempts,
            ...(entry.lastStatusCode === undefined ? {} : { lastStatusCode: entry.lastStatusCode }),
            ...(entry.lastError === undefined ? {} : { lastError: entry.lastError.slice(0, 1000) }),
            updatedAt: entry.updatedAt,
            ttl,
          },
        }),
      );
    },
    async deliveries(id, from, to) {
      const out: DeliveryLogEntry[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const res = await doc.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
            // '#' sorts below every character a time ends with, '~' above: the whole `to` instant
            ExpressionAttributeValues: { ':pk': `DLV#${id}`, ':a': from, ':b': `${to}~` },
            ExclusiveStartKey: start,
          }),
        );
        for (const it of res.Items ?? []) {
          const event = StockChangeEventSchema.safeParse(JSON.parse(String(it.event)));
          if (!event.success) continue;
          out.push({
            subscriptionId: id,
            event: event.data as StockChangeEvent,
            status: it.status as DeliveryStatus,
            attempts: Number(it.attempts),
            ...(it.lastStatusCode === undefined ? {} : { lastStatusCode: Number(it.lastStatusCode) }),
            ...(it.lastError === undefined ? {} : { lastError: String(it.lastError) }),
            updatedAt: String(it.updatedAt),
          });
        }
        start = res.LastEvaluatedKey;
      } while (start);
      return out;
    },
  };
}
