import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { foldRuntime } from '#shared/aws/fold-runtime.ts';
import { changesOf, countedOf } from '#shared/aws/stream-records.ts';
import type { FoldStreamEvent, FoldStreamResponse } from '#shared/stream/fold-event.ts';
import { foldStreamBatch } from '#shared/stream/fold-apply.ts';
import { createTelemetry } from '#shared/observability/telemetry.ts';

const deps = foldRuntime();
const telemetry = createTelemetry({ fn: 'fold' });
const { logger, metrics } = telemetry;

/**
 * Folds a batch of the table's stream (order items, and balances normalize counted or adjusted, by
 * the mapping's filters) into stock and
 * KPIs: the orders' reservations, shipments and restocks (one update per balance, its movements
 * listed on it; ledger rows only for a full list), the oversells they caused, and the KPI hour counters with the merchant-zone day and
 * month rollups; and, while an outbound subscription or a pushed channel listens, derives the stock-change events of every balance that changed. A throw retries the whole batch from its first record; the per-shard watermarks
 * on every balance and counter make that safe.
 */
async function fold(event: FoldStreamEvent): Promise<FoldStreamResponse> {
  const { skipped, ...r } = await foldStreamBatch(deps, event.shardId, changesOf(event), countedOf(event));
  telemetry.kpiCounterWrites(r.written);
  if (r.oversells > 0) telemetry.oversells(r.oversells);
  telemetry.foldSkipped(skipped.length);
  for (const s of skipped)
    logger.error('order change left out of stock or KPIs (see error)', { shardId: event.shardId, ...s });
  logger.info('folded', { shardId: event.shardId, records: event.Records.length, ...r, skipped: skipped.length });
  return { state: {}, batchItemFailures: [] };
}

export const handler = middy(fold).use(injectLambdaContext(logger)).use(logMetrics(metrics));
