import { ConfigError } from '#shared/domain/config-error.ts';
import { envSeconds } from '#shared/aws/config.ts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '#shared/aws/config.ts';
import { getApiKey } from '#shared/aws/api-keys.ts';
import { dynamoChannelPort } from '#shared/aws/channels.ts';
import { dynamoStockRepo } from '#shared/aws/stock-repo.ts';
import { DynamoTable, documentClient } from '#shared/aws/table.ts';
import { createAuthenticator, type Authenticate } from '#shared/http/auth.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import type { ApplyCount, ChannelPort, StockReadPort } from '#shared/inventory/ports.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { sqsOutboundQueue } from '#shared/aws/outbound-queue.ts';
import { dynamoOutboundStore } from '#shared/aws/outbound-store.ts';
import type { SubscriptionAdminStore } from '#shared/outbound/admin.ts';
import type { OutboundQueuePort } from '#shared/outbound/deliver.ts';

/**
 * The stock function's dependencies, built once per container from its environment:
 *  - HUB_TABLE_NAME (required), HUB_AWS_ENDPOINT (moto / LocalStack), AWS_REGION
 *  - HUB_API_KEY_CACHE_SECONDS (default 30, at most 60), HUB_CHANNEL_CACHE_SECONDS (default 30)
 *  - HUB_FEED_SETTLE_SECONDS (default 5; see FeedOptions.settleMs for why it exists)
 *  - HUB_OUTBOUND_QUEUE_URL (subscription replays through the admin API; absent: replay answers 503)
 */
export interface StockRuntime {
  authenticate: Authenticate;
  stock: StockReadPort;
  channels: ChannelPort;
  applyCount: ApplyCount;
  feedSettleMs: number;
  now: () => Date;
  /** the subscriptions admin API: the outbound store, and the outbound queue for replays */
  subscriptions: { store: SubscriptionAdminStore; queue?: OutboundQueuePort; now: () => Date };
}

export function stockRuntime(
  env: NodeJS.ProcessEnv = process.env,
  overrides: { doc?: DynamoDBDocumentClient; now?: () => Date } = {},
): StockRuntime {
  const tableName = env.HUB_TABLE_NAME;
  if (!tableName) throw new ConfigError('HUB_TABLE_NAME is not set');
  const doc = overrides.doc ?? documentClient(awsClientConfig(env));
  const now = overrides.now ?? systemClock;
  const clock = () => now().getTime();
  const table = new DynamoTable(doc, tableName);
  return {
    authenticate: createAuthenticator((key) => getApiKey(doc, tableName, key), {
      maxAgeSeconds: envSeconds(env, 'HUB_API_KEY_CACHE_SECONDS', 30),
      now: clock,
    }),
    stock: dynamoStockRepo(doc, tableName),
    channels: dynamoChannelPort(doc, tableName, {
      maxAgeSeconds: envSeconds(env, 'HUB_CHANNEL_CACHE_SECONDS', 30),
      now: clock,
    }),
    applyCount: (event) => applyEvent(table, event, now),
    feedSettleMs: envSeconds(env, 'HUB_FEED_SETTLE_SECONDS', 5) * 1000,
    now,
    subscriptions: {
      // read consistently, never cached: an admin sees what they just changed
      store: dynamoOutboundStore(doc, tableName, { now: clock, subscriptionsMaxAgeSeconds: 0 }),
      ...(env.HUB_OUTBOUND_QUEUE_URL
        ? {
            queue: sqsOutboundQueue({
              queueUrl: env.HUB_OUTBOUND_QUEUE_URL,
              clients: { aws: liteAwsClient({ env }) },
            }),
          }
        : {}),
      now,
    },
  };
}
