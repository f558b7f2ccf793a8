import { ConfigError } from '#shared/domain/config-error.ts';
import { adapt } from '#shared/adapters/index.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { getBody } from '#shared/aws/body-store.ts';
import { DynamoTable, documentClient } from '#shared/aws/table.ts';
import type { NormalizeDeps } from '#shared/normalize/normalize.ts';
import { systemClock, systemMsClock } from '#shared/domain/clock.ts';
import { dynamoChannelPort } from '#shared/aws/channels.ts';
import { sqsHydrationQueue } from '#shared/aws/hydrate-queue.ts';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { connectionsWithCredentials } from '#shared/hydrate/credentials-marker.ts';
import { customerSaltSource } from '#shared/aws/customer-salt.ts';

/**
 * The normalizer's dependencies, built once per Lambda container (module scope) from the
 * environment the stack (or the local runner) sets.
 */
export function normalizeRuntime(env: NodeJS.ProcessEnv = process.env): NormalizeDeps {
  const tableName = env.HUB_TABLE_NAME;
  if (!tableName) throw new ConfigError('HUB_TABLE_NAME is not set');
  const doc = documentClient(awsClientConfig(env));
  const table = new DynamoTable(doc, tableName);
  const customerSalt = customerSaltSource(env);
  return {
    table,
    adapt,
    // a channel's location settings reach the normalizer within this many seconds of a change
    channels: dynamoChannelPort(doc, tableName, { maxAgeSeconds: 30, now: systemMsClock }),
    now: systemClock,
    loadBody: (delivery) => getBody(delivery.body),
    // Amazon SP-API notifications arrive on their own queue; their orders count toward this channel
    spapi: {
      connectionId: 'amazon-spapi',
      channel: env.HUB_SPAPI_CHANNEL ?? 'amazon',
      ...(env.HUB_SPAPI_SELLER_ID ? { sellerId: env.HUB_SPAPI_SELLER_ID } : {}),
    },
    // customer references are stored only as HMACs under this secret (docs/kpis.md)
    ...(customerSalt !== undefined ? { customerSalt } : {}),
    // thin Square and BigCommerce orders are fetched by the hydrate function (docs/hydration.md)
    ...(env.HUB_HYDRATE_QUEUE_URL
      ? {
          hydration: sqsHydrationQueue({
            queueUrl: env.HUB_HYDRATE_QUEUE_URL,
            clients: { aws: liteAwsClient({ env }) },
          }),
        }
      : {}),
    // unmapped Square and BigCommerce listings are looked up in the catalog of a connection with credentials
    catalogLookups: connectionsWithCredentials(table, { maxAgeSeconds: 60, now: systemMsClock }),
  };
}
