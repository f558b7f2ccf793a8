import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { hydrateRuntime } from '#shared/aws/hydrate-runtime.ts';
import { hydrateRecord } from '#shared/hydrate/record.ts';
import { createTelemetry } from '#shared/observability/telemetry.ts';

const deps = hydrateRuntime();
const telemetry = createTelemetry({ fn: 'hydrate' });
const { logger, metrics } = telemetry;
const processor = new BatchProcessor(EventType.SQS);

/**
 * One fetch per record. A record that throws is reported failed and comes back: after the
 * sender's own delay when it was rate limited (its visibility changed first), after the queue's
 * visibility timeout otherwise, and into the DLQ after maxReceiveCount.
 */
async function hydrate(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const res = await processPartialResponse(
    event,
    (record: SQSRecord) => hydrateRecord(record, deps, telemetry),
    processor,
    { context, throwOnFullBatchFailure: false },
  );
  if (res.batchItemFailures.length > 0)
    logger.warn('hydrate batch had failures', { failed: res.batchItemFailures.length, of: event.Records.length });
  return res;
}

export const handler = middy(hydrate).use(injectLambdaContext(logger)).use(logMetrics(metrics));
