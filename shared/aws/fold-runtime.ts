import { z } from 'zod';
import { ConfigError } from '#shared/domain/config-error.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { DynamoTable, documentClient } from '#shared/aws/table.ts';
import { resolveRollupZone, type FoldDeps } from '#shared/stream/fold-apply.ts';
import { isTimeZone } from '#shared/kpi/periods.ts';
import { systemMsClock } from '#shared/domain/clock.ts';
import { dynamoChannelPort } from '#shared/aws/channels.ts';
import { sqsOutboundQueue } from '#shared/aws/outbound-queue.ts';
import { dynamoListeners } from '#shared/aws/listeners.ts';
import { LISTENERS_MAX_AGE_LIMIT_SECONDS, LISTENERS_MAX_AGE_SECONDS } from '#shared/outbound/listeners.ts';

/**
 * The fold function's dependencies, built once per container from its environment:
 * HUB_TABLE_NAME (required), HUB_OUTBOUND_QUEUE_URL (required: where the stock-change events the
 * fold derives go, for the outbound function to deliver), HUB_MERCHANT_TIME_ZONE (the rollup zone
 * if the hub has none yet; UTC when unset), HUB_LISTENERS_CACHE_SECONDS (how long a container
 * reuses its answer to "does anything listen to stock-change events?", 0–60, default 30; the local
 * hub sets 0), HUB_AWS_ENDPOINT locally.
 */
export function foldRuntime(env: NodeJS.ProcessEnv = process.env): FoldDeps {
  const tableName = env.HUB_TABLE_NAME;
  if (!tableName) throw new ConfigError('HUB_TABLE_NAME is not set');
  const outboundQueueUrl = env.HUB_OUTBOUND_QUEUE_URL;
  if (!outboundQueueUrl) throw new ConfigError('HUB_OUTBOUND_QUEUE_URL is not set');
  const wanted = env.HUB_MERCHANT_TIME_ZONE || 'UTC';
  if (!isTimeZone(wanted)) throw new ConfigError(`HUB_MERCHANT_TIME_ZONE is not an IANA time zone: ${wanted}`);
  const listenersMaxAge = listenersMaxAgeSeconds(env.HUB_LISTENERS_CACHE_SECONDS);
  const doc = documentClient(awsClientConfig(env));
  const table = new DynamoTable(doc, tableName);
  let zone: Promise<string> | undefined;
  const publisher = sqsOutboundQueue({ queueUrl: outboundQueueUrl });
  return {
    table,
    now: systemMsClock,
    channels: dynamoChannelPort(doc, tableName, { now: systemMsClock }),
    publisher,
    listeners: dynamoListeners(doc, tableName, { now: systemMsClock, maxAgeSeconds: listenersMaxAge }),
    rollupZone() {
      zone ??= resolveRollupZone(table, wanted);
      // a failed read is tried again by the next batch
      zone.catch(() => (zone = undefined));
      return zone;
    },
  };
}

const ListenersMaxAgeSchema = z.coerce.number().int().min(0).max(LISTENERS_MAX_AGE_LIMIT_SECONDS);

function listenersMaxAgeSeconds(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return LISTENERS_MAX_AGE_SECONDS;
  const parsed = ListenersMaxAgeSchema.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(
      `HUB_LISTENERS_CACHE_SECONDS must be a whole number of seconds from 0 to ${LISTENERS_MAX_AGE_LIMIT_SECONDS}: ${raw}`,
    );
  return parsed.data;
}
