import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { allItems } from '#shared/aws/paging.ts';
import { sdkExpression, updateExpression } from '#shared/table/expression.ts';

/**
 * Quarantine and DLQ administration: list what the normalizer set aside, and send it back through
 * the same path. Replaying is always safe: every effect is exactly-once on its own key, so a
 * delivery that was in fact applied changes nothing the second time.
 */
export interface QuarantinedDelivery {
  day: string;
  sk: string;
  deliveryId: string;
  reason: string;
  message: string;
  status: 'quarantined' | 'replayed';
  connectionId?: string;
  source?: string;
  channel?: string;
  /** the listing an `unmapped-listing` delivery waits for */
  externalId?: string;
  /** `hydrate`: a fetched order the hub could not read, replayed through the hydrate queue */
  queue?: 'hydrate';
  receivedAt: string;
  quarantinedAt: string;
  replayedAt?: string;
}

function days(back: number, now: Date): string[] {
  return Array.from({ length: back }, (_, i) => new Date(now.getTime() - i * 86_400_000).toISOString().slice(0, 10));
}

export async function listQuarantine(
  doc: DynamoDBDocumentClient,
  tableName: string,
  opts: { days?: number; status?: 'quarantined' | 'replayed'; now: Date },
): Promise<(QuarantinedDelivery & { messageBody: string })[]> {
  const out: (QuarantinedDelivery & { messageBody: string })[] = [];
  for (const day of days(opts.days ?? 14, opts.now)) {
    const items = await allItems((start) =>
      doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `QUAR#${day}` },
          ExclusiveStartKey: start,
        }),
      ),
    );
    for (const it of items) {
      if (opts.status && it.status !== opts.status) continue;
      out.push({
        day,
        sk: String(it.sk),
        deliveryId: String(it.deliveryId),
        reason: String(it.reason),
        message: String(it.message),
        status: it.status as QuarantinedDelivery['status'],
        connectionId: it.connectionId as string | undefined,
        source: it.source as string | undefined,
        channel: it.channel as string | undefined,
        externalId: typeof it.externalId === 'string' ? it.externalId : listingOfMessage(String(it.message)),
        ...(it.queue === 'hydrate' ? { queue: 'hydrate' as const } : {}),
        receivedAt: String(it.receivedAt),
        quarantinedAt: String(it.quarantinedAt),
        replayedAt: it.replayedAt as string | undefined,
        messageBody: String(it.message_body),
      });
    }
  }
  return out;
}

/**
 * Sends quarantined deliveries back to the ingest queue (quarantined fetches to the hydrate queue)
 * and marks them replayed. A quarantined fetch is left as it is when no hydrate queue is given.
 */
export async function replayQuarantined(
  deps: { doc: DynamoDBDocumentClient; tableName: string; sqs: SQSClient; queueUrl: string; hydrateQueueUrl?: string },
  opts: {
    deliveryIds?: string[];
    reason?: string;
    days?: number;
    where?: (q: QuarantinedDelivery) => boolean;
    now: Date;
  },
): Promise<{ replayed: string[] }> {
  const now = opts.now;
  const items = await listQuarantine(deps.doc, deps.tableName, { days: opts.days, status: 'quarantined', now });
  const chosen = items.filter(
    (q) =>
      (!opts.deliveryIds || opts.deliveryIds.includes(q.deliveryId)) &&
      (!opts.reason || q.reason === opts.reason) &&
      (!opts.where || opts.where(q)),
  );
  const replayed: string[] = [];
  for (const q of chosen) {
    const queueUrl = q.queue === 'hydrate' ? deps.hydrateQueueUrl : deps.queueUrl;
    if (!queueUrl) continue;
    await deps.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: q.messageBody }));
    // marked after the send: a crash in between replays it once more, which is harmless
    await deps.doc.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { pk: `QUAR#${q.day}`, sk: q.sk },
        ...sdkExpression(updateExpression({ set: { status: 'replayed', replayedAt: now.toISOString() } })),
      }),
    );
    replayed.push(q.deliveryId);
  }
  return { replayed };
}

/**
 * Deliveries quarantined before the listing id was stored on the item name it in their message
 * only ("no SKU is mapped to <channel> listing <id> yet").
 */
function listingOfMessage(message: string): string | undefined {
  return /^no SKU is mapped to \S+ listing (\S+) yet/.exec(message)?.[1];
}

/**
 * Replays the `unmapped-listing` deliveries that waited for these listings (same channel and
 * listing id): once mapped, each applies; one that still names another unmapped listing comes back
 * to the quarantine with that one.
 */
export async function replayUnmappedListings(
  deps: { doc: DynamoDBDocumentClient; tableName: string; sqs: SQSClient; queueUrl: string },
  listings: { channel: string; externalId: string }[],
  opts: { days?: number; now: Date },
): Promise<{ replayed: string[] }> {
  if (listings.length === 0) return { replayed: [] };
  const wanted = new Set(listings.map((l) => `${l.channel}\u0000${l.externalId}`));
  return replayQuarantined(deps, {
    reason: 'unmapped-listing',
    ...(opts.days ? { days: opts.days } : {}),
    where: (q) =>
      q.channel !== undefined && q.externalId !== undefined && wanted.has(`${q.channel}\u0000${q.externalId}`),
    now: opts.now,
  });
}

/**
 * Moves messages from a dead-letter queue back to its source queue (what SQS's console "redrive"
 * does; moto has no StartMessageMoveTask, so this works the same locally and in AWS).
 */
export async function redriveDlq(
  sqs: SQSClient,
  dlqUrl: string,
  queueUrl: string,
  opts: { max?: number; onMessage?: (m: Message) => void } = {},
): Promise<{ moved: number }> {
  const max = opts.max ?? 10_000;
  let moved = 0;
  while (moved < max) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, max - moved),
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
        // moved with their attributes (the delivery id, the claim check), as SQS's redrive does
        MessageAttributeNames: ['All'],
      }),
    );
    const msgs = res.Messages ?? [];
    if (msgs.length === 0) break;
    for (const m of msgs) {
      opts.onMessage?.(m);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: m.Body ?? '',
          MessageAttributes: m.MessageAttributes,
        }),
      );
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: dlqUrl,
        Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
    moved += msgs.length;
  }
  return { moved };
}
