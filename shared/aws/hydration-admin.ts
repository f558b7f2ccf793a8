import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { HydrationMessageSchema, type HydrationMessage } from '#shared/hydrate/hydrate.ts';
import type { Item } from '#shared/table/port.ts';

/**
 * Every hydration item (`HYDRATE#…`) of the table. A Scan reads the whole table: this serves the
 * operator's `hydration list`, run by hand and rarely, so it is not worth an index every order
 * write would pay for.
 */
export async function scanHydrationItems(doc: DynamoDBDocumentClient, tableName: string): Promise<Item[]> {
  const out: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await doc.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '#t = :t AND begins_with(pk, :p)',
        ExpressionAttributeNames: { '#t': 'type' },
        ExpressionAttributeValues: { ':t': 'hydration', ':p': 'HYDRATE#' },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    out.push(...((res.Items ?? []) as Item[]));
    start = res.LastEvaluatedKey;
  } while (start);
  return out;
}

/**
 * The fetch messages in the hydrate DLQ, read without taking them: each is received with a
 * visibility timeout of 0, so it stays available to a redrive. SQS returns a sample per call, so
 * several rounds are read and merged by message id (at most `max` messages).
 */
export async function peekHydrateDlq(
  sqs: SQSClient,
  dlqUrl: string,
  opts: { max?: number; rounds?: number } = {},
): Promise<Array<HydrationMessage & { receiveCount: number }>> {
  const max = opts.max ?? 1000;
  const seen = new Map<string, HydrationMessage & { receiveCount: number }>();
  for (let round = 0; round < (opts.rounds ?? 5) && seen.size < max; round++) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    const msgs = res.Messages ?? [];
    if (msgs.length === 0) break;
    for (const m of msgs) {
      if (!m.MessageId || seen.has(m.MessageId)) continue;
      let parsed: HydrationMessage;
      try {
        parsed = HydrationMessageSchema.parse(JSON.parse(m.Body ?? ''));
      } catch {
        continue;
      }
      seen.set(m.MessageId, { ...parsed, receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0) });
    }
  }
  return [...seen.values()];
}
