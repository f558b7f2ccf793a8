import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { listChannels } from '#shared/aws/channels.ts';
import { SUBSCRIPTIONS_PK } from '#shared/table/keys.ts';
import type { MsClock } from '#shared/domain/clock.ts';
import { anyChannelPush, cachedListeners, type StockEventListeners } from '#shared/outbound/listeners.ts';

/**
 * Listeners of the fold's stock-change events on DynamoDB: an active subscription (one Query of the
 * `SUBS` partition, eventually consistent, counting the active ones only) or a channel configured
 * with `push` (the channel list's one index query). Read from the table itself rather than from a
 * marker item the admin use cases would have to keep right: whatever adds, enables, disables or
 * removes a subscription or a push (CLI, admin API, the outbound function disabling a failing
 * endpoint, a hand edit) is seen. Asked at most once per `maxAgeSeconds` per container.
 */
export function dynamoListeners(
  doc: DynamoDBDocumentClient,
  tableName: string,
  opts: { now: MsClock; maxAgeSeconds?: number },
): StockEventListeners {
  const check = async () => {
    // the channel list fresh (it refreshes the container's shared channel cache too)
    const [subscribed, pushed] = await Promise.all([
      anyActiveSubscription(doc, tableName),
      anyChannelPush({ list: () => listChannels(doc, tableName, { now: opts.now, maxAgeSeconds: 0 }) }),
    ]);
    return subscribed || pushed;
  };
  return cachedListeners(check, opts);
}

// Its own COUNT query rather than the outbound store's listSubscriptions: the store bundles the
// subscription admin writes (DeleteItem among them), which the fold's role is not granted and its
// bundle should not carry (test/infra/least-privilege.test.ts).
async function anyActiveSubscription(doc: DynamoDBDocumentClient, tableName: string): Promise<boolean> {
  let start: Record<string, unknown> | undefined;
  do {
    const res = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: '#status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pk': SUBSCRIPTIONS_PK, ':active': 'active' },
        Select: 'COUNT',
        ExclusiveStartKey: start,
      }),
    );
    if ((res.Count ?? 0) > 0) return true;
    start = res.LastEvaluatedKey;
  } while (start);
  return false;
}
