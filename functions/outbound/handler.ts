import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { outboundRuntime } from '#shared/aws/outbound-runtime.ts';
import { handleOutboundMessage } from '#shared/outbound/deliver.ts';
import { createTelemetry } from '#shared/observability/telemetry.ts';

const telemetry = createTelemetry({ fn: 'outbound' });
const { logger, metrics } = telemetry;
const deps = {
  ...outboundRuntime(),
  count: (name: string, n = 1) => metrics.addMetric(name, MetricUnit.Count, n),
  warn: (message: string, detail: Record<string, unknown>) => logger.warn(message, detail),
};
const processor = new BatchProcessor(EventType.SQS);

/**
 * Outbound deliveries: a message of stock-change events is fanned out to the matching
 * subscriptions (first attempt at once); an attempt message is a retry or a replay. A failed
 * endpoint is not a failed record (its next attempt is queued with its delay); a failed table or
 * queue call is, and the record comes back.
 */
async function outbound(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const res = await processPartialResponse(
    event,
    (record: SQSRecord) => handleOutboundMessage(record.body, deps),
    processor,
    { context, throwOnFullBatchFailure: false },
  );
  if (res.batchItemFailures.length > 0)
    logger.warn('outbound batch had failures', { failed: res.batchItemFailures.length, of: event.Records.length });
  return res;
}

export const handler = middy(outbound).use(injectLambdaContext(logger)).use(logMetrics(metrics));
