import { ConfigError } from '#shared/domain/config-error.ts';
import { AwsError, liteAwsClient } from '#shared/aws/lite/client.ts';
import { s3BodyStore } from '#shared/aws/body-store.ts';
import { dynamoConnectionStore } from '#shared/aws/connections.ts';
import { sqsDeliveryQueue } from '#shared/aws/delivery-queue.ts';
import { ebayPublicKeyFetcher, type EbayAppCredentials } from '#shared/ingest/ebay-keys.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from '#shared/ingest/ingest.ts';
import type { IngestDeps } from '#shared/ingest/ports.ts';
import { systemClock, systemMsClock } from '#shared/domain/clock.ts';

/**
 * The ingest function's dependencies, from its environment:
 *  - HUB_TABLE_NAME, HUB_INGEST_QUEUE_URL, HUB_BODY_BUCKET (required)
 *  - HUB_STAGE (secret names `hub/<stage>/...`; default `local`)
 *  - HUB_AWS_ENDPOINT (moto / LocalStack), AWS_REGION
 *  - HUB_MAX_MESSAGE_BYTES (default 262144), HUB_CONNECTION_CACHE_SECONDS (default 60)
 *  - HUB_EBAY_API_BASE (default https://api.ebay.com), HUB_EBAY_APP_SECRET_NAME (default
 *    `hub/<stage>/ebay-app`, JSON `{clientId, clientSecret}`; read only when an eBay key is needed)
 */

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new ConfigError(`${name} is not set`);
  return v;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

/** The eBay app credentials' secret: `HUB_EBAY_APP_SECRET_NAME`, else `hub/<stage>/ebay-app`. */
export function ebayAppSecretName(env: NodeJS.ProcessEnv = process.env): string {
  return env.HUB_EBAY_APP_SECRET_NAME || `hub/${env.HUB_STAGE || 'local'}/ebay-app`;
}

export function buildIngestDeps(env: NodeJS.ProcessEnv = process.env): IngestDeps {
  const aws = liteAwsClient({ env });
  const stage = env.HUB_STAGE || 'local';
  const ebaySecret = ebayAppSecretName(env);
  return {
    connections: dynamoConnectionStore({
      tableName: required(env, 'HUB_TABLE_NAME'),
      stage,
      clients: { aws },
      maxAgeSeconds: positiveInt(env, 'HUB_CONNECTION_CACHE_SECONDS', 60),
      now: systemMsClock,
    }),
    queue: sqsDeliveryQueue({ queueUrl: required(env, 'HUB_INGEST_QUEUE_URL'), clients: { aws } }),
    bodies: s3BodyStore({ bucket: required(env, 'HUB_BODY_BUCKET'), clients: { aws } }),
    now: systemClock,
    // the local hub runs as stage `local` or `local-<prefix>`; a deployed stack is dev or prod
    deriveUrlFromRequest: stage === 'local' || stage.startsWith('local-'),
    maxMessageBytes: positiveInt(env, 'HUB_MAX_MESSAGE_BYTES', DEFAULT_MAX_MESSAGE_BYTES),
    ebayKeys: ebayPublicKeyFetcher({
      apiBase: env.HUB_EBAY_API_BASE,
      now: systemMsClock,
      credentials: async (): Promise<EbayAppCredentials> => {
        const out = await aws.json<{ SecretString?: string }>({
          service: 'secretsmanager',
          target: 'secretsmanager.GetSecretValue',
          input: { SecretId: ebaySecret },
        });
        const parsed = JSON.parse(out.SecretString ?? '{}') as Partial<EbayAppCredentials>;
        if (!parsed.clientId || !parsed.clientSecret) {
          throw new AwsError('secretsmanager', 'InvalidSecret', 0, `${ebaySecret} lacks clientId/clientSecret`);
        }
        return { clientId: parsed.clientId, clientSecret: parsed.clientSecret };
      },
    }),
  };
}
