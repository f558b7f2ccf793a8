import { ConfigError } from '#shared/domain/config-error.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { secretsManagerApiCredentials, type ApiCredentialsStore } from '#shared/aws/api-credentials.ts';
import { dynamoChannelPort } from '#shared/aws/channels.ts';
import { sqsHydrationQueue, type SqsHydrationQueue } from '#shared/aws/hydrate-queue.ts';
import { DynamoTable, documentClient } from '#shared/aws/table.ts';
import { systemClock, systemMsClock } from '#shared/domain/clock.ts';
import { orderClientFor } from '#shared/hydrate/clients.ts';
import type { HydrateDeps } from '#shared/hydrate/hydrate.ts';
import { memoryTokenCache } from '#shared/hydrate/types.ts';
import { resolveCatalogSku } from '#shared/hydrate/catalog.ts';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { customerSaltSource } from '#shared/aws/customer-salt.ts';

export interface HydrateRuntime extends HydrateDeps {
  queue: SqsHydrationQueue;
  credentials: ApiCredentialsStore;
}

/**
 * The hydrate function's dependencies, built once per container: HUB_TABLE_NAME,
 * HUB_HYDRATE_QUEUE_URL, HUB_STAGE (the credentials' secret names), HUB_AWS_ENDPOINT locally.
 */
export function hydrateRuntime(
  env: NodeJS.ProcessEnv = process.env,
  opts: { fetch?: typeof fetch } = {},
): HydrateRuntime {
  const tableName = env.HUB_TABLE_NAME;
  if (!tableName) throw new ConfigError('HUB_TABLE_NAME is not set');
  const queueUrl = env.HUB_HYDRATE_QUEUE_URL;
  if (!queueUrl) throw new ConfigError('HUB_HYDRATE_QUEUE_URL is not set');
  const doc = documentClient(awsClientConfig(env));
  // one signed-request client for Secrets Manager and SQS, from this environment's endpoint and region
  const aws = liteAwsClient({ env });
  // fetched orders' customers are hashed with normalize's salt
  const customerSalt = customerSaltSource(env, { aws });
  const credentials = secretsManagerApiCredentials({
    stage: env.HUB_STAGE ?? 'local',
    now: systemMsClock,
    clients: { aws },
  });
  const fetchFn = opts.fetch ?? fetch;
  // eBay's OAuth tokens, minted once and reused by every fetch of this container until they expire
  const tokens = memoryTokenCache();
  const timedFetch: typeof fetch = (url, init) => fetchFn(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const ingestQueueUrl = env.HUB_INGEST_QUEUE_URL;
  return {
    table: new DynamoTable(doc, tableName),
    queue: sqsHydrationQueue({ queueUrl, clients: { aws } }),
    credentials,
    channels: dynamoChannelPort(doc, tableName, { maxAgeSeconds: 30, now: systemMsClock }),
    now: systemClock,
    async clientFor(message) {
      const creds = await credentials.get(message.connectionId);
      const client = orderClientFor(message.source, {
        // a sender that does not answer within 10 s is retried through the queue
        fetch: timedFetch,
        credentials: creds,
        now: systemMsClock,
        tokens,
      });
      if (!client) throw new Error(`no order client for source ${message.source}`);
      return client;
    },
    // unmapped listings resolved through the sender's catalog; the deliveries that waited for
    // them go back to the ingest queue (docs/hydration.md)
    ...(ingestQueueUrl
      ? {
          listings: {
            async resolve(message) {
              const creds = await credentials.get(message.connectionId);
              return resolveCatalogSku(message.source, message.externalId, {
                fetch: timedFetch,
                credentials: creds,
                now: systemMsClock,
              });
            },
            ingest: {
              async sendRaw(messageBody) {
                await aws.json({
                  service: 'sqs',
                  target: 'AmazonSQS.SendMessage',
                  input: { QueueUrl: ingestQueueUrl, MessageBody: messageBody },
                });
              },
            },
          },
        }
      : {}),
    ...(customerSalt !== undefined ? { customerSalt } : {}),
  };
}
