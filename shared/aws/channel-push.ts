import {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { allItems } from '#shared/aws/paging.ts';
import type { ApiCredentialsStore } from '#shared/aws/api-credentials.ts';
import type { MsClock } from '#shared/domain/clock.ts';
import type { ChannelConfig } from '#shared/inventory/channel-config.ts';
import type { ChannelPort } from '#shared/inventory/ports.ts';
import type { ChannelPushDeps, PushRecords, PushTarget } from '#shared/outbound/connectors/push.ts';
import { ChannelRefused } from '#shared/outbound/connectors/errors.ts';
import { CONNECTORS } from '#shared/outbound/connectors/registry.ts';
import { keys } from '#shared/table/keys.ts';
import { le, notExists, or, sdkExpression, updateExpression } from '#shared/table/expression.ts';
import { claimable, unconfirmedBelow } from '#shared/table/version-claim.ts';

/**
 * Channel pushes on DynamoDB:
 *
 * | item | pk | sk |
 * |---|---|---|
 * | version claimed (`sent`) and confirmed per (channel, SKU) | `PUSH#<channel>#<sku>` | `META` |
 * | what a listing was last set to at a channel location (echo check) | `PUSHED#<channel>#<listing>` | `LOC#<location>` |
 * | the channel's listings of a SKU (written with each listing mapping) | `SKULIST#<channel>#<sku>` | `<listing id>` |
 */
const isConditionFailed = (err: unknown) => err instanceof Error && err.name === 'ConditionalCheckFailedException';

export function dynamoPushRecords(doc: DynamoDBDocumentClient, tableName: string): PushRecords {
  return {
    async claim(channel, sku, version) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.push(channel, sku),
            // an unconfirmed version may go again (its push failed or was cut short); an older never
            ...sdkExpression(updateExpression({ set: { sent: version, channel, sku } }, claimable(version))),
          }),
        );
        return true;
      } catch (err) {
        if (isConditionFailed(err)) return false;
        throw err;
      }
    },
    async confirm(channel, sku, version, pushed) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.push(channel, sku),
            ...sdkExpression(
              updateExpression(
                { set: { confirmed: version, quantity: pushed.quantity, confirmedAt: pushed.at } },
                unconfirmedBelow(version),
              ),
            ),
          }),
        );
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
      }
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.pushed(channel, pushed.listing, pushed.location),
            ...sdkExpression(
              updateExpression(
                { set: { quantity: pushed.quantity, pushedAt: pushed.at, version, sku } },
                or(notExists('version'), le('version', version)),
              ),
            ),
          }),
        );
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
      }
    },
  };
}

/** The channel's own location the quantity is set at (see ChannelConfig.push). */
export function pushLocation(config: ChannelConfig): string | undefined {
  if (config.push?.location) return config.push.location;
  const entries = Object.entries(config.locationMap ?? {});
  const fulfilment = entries.find(([, ours]) => ours === config.fulfilmentLocation);
  if (fulfilment) return fulfilment[0];
  return entries.length === 1 ? entries[0]![0] : undefined;
}

/** What channel pushes need at run time: targets from the table, the Shopify client per connection. */
export function dynamoChannelPush(
  doc: DynamoDBDocumentClient,
  tableName: string,
  opts: { channels: ChannelPort; credentials: ApiCredentialsStore; fetch: typeof fetch; now: MsClock },
): ChannelPushDeps {
  // the source of a connection that receives for the channel (its entry beside the channel's
  // configuration): a push goes only through a connection of the channel's own
  const sources = new Map<string, Promise<string | undefined>>();
  const sourceOf = (channel: string, connectionId: string) => {
    const k = `${channel}\u0000${connectionId}`;
    let hit = sources.get(k);
    if (!hit) {
      hit = doc
        .send(new GetCommand({ TableName: tableName, Key: keys.channelConnection(channel, connectionId) }))
        .then((r) => (typeof r.Item?.source === 'string' ? r.Item.source : undefined));
      hit.catch(() => sources.delete(k));
      sources.set(k, hit);
    }
    return hit;
  };
  const connectionSource = new Map<string, string>();
  return {
    async targets(channel, sku): Promise<PushTarget[]> {
      const config = (await opts.channels.list()).find((c) => c.channel === channel);
      if (!config?.push) return [];
      const connectionId = config.push.connection;
      const source = await sourceOf(channel, connectionId);
      const connector = source === undefined ? undefined : CONNECTORS[source];
      const location = pushLocation(config);
      if (source === undefined || connector === undefined || location === undefined) return [];
      connectionSource.set(connectionId, source);
      const pk = keys.skuListing(channel, sku, '').pk;
      const reverse = await allItems<Record<string, unknown>>((start) =>
        doc.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ExclusiveStartKey: start,
          }),
        ),
      );
      const ids = reverse.map((r) => String(r.externalId)).filter((id) => connector.sets(id));
      if (ids.length === 0) return [];
      // a listing mapped to another SKU since leaves its reverse item behind: the listing item decides
      const current = new Set<string>();
      for (let i = 0; i < ids.length; i += 100) {
        const res = await doc.send(
          new BatchGetCommand({
            RequestItems: { [tableName]: { Keys: ids.slice(i, i + 100).map((id) => keys.listing(channel, id)) } },
          }),
        );
        for (const it of res.Responses?.[tableName] ?? []) if (it.sku === sku) current.add(String(it.externalId));
        if (Object.keys(res.UnprocessedKeys ?? {}).length > 0) throw new Error('listing read throttled; retried');
      }
      return ids.filter((id) => current.has(id)).map((listing) => ({ connectionId, listing, location }));
    },
    records: dynamoPushRecords(doc, tableName),
    async setAvailable(connectionId, quantities, event) {
      const source = connectionSource.get(connectionId);
      const connector = source === undefined ? undefined : CONNECTORS[source];
      if (!connector) throw new ChannelRefused(`no connector for connection ${connectionId} (${source})`);
      const credentials = await opts.credentials.get(connectionId);
      try {
        await connector.setAvailable(
          { fetch: opts.fetch, credentials, now: opts.now },
          { quantities, reference: event.id, occurredAt: event.at },
        );
      } catch (err) {
        // a replaced token is read again at once rather than after the cache's age
        if (err instanceof ChannelRefused) opts.credentials.forget(connectionId);
        throw err;
      }
    },
    now: opts.now,
  };
}
