import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { normalizeRuntime } from '#shared/aws/normalize-runtime.ts';
import { normalizeMessage } from '#shared/normalize/normalize.ts';
import { createTelemetry, quarantineLogFields } from '#shared/observability/telemetry.ts';

const deps = normalizeRuntime();
const telemetry = createTelemetry({ fn: 'normalize' });
const { logger, metrics } = telemetry;
const processor = new BatchProcessor(EventType.SQS);

/**
 * One queued delivery: applied, a no-op, or quarantined; a throw marks the record failed (retried).
 * Every line carries the delivery id ingest stamped on the message (attribute `deliveryId`) as
 * correlation id; SP-API messages, written by Amazon, have none until they are wrapped.
 */
interface Tally {
  applied: number;
  /** first receives per source: deliveries ingest accepted (see Telemetry.deliveryAccepted) */
  accepted: Map<string, number>;
}

/**
 * Whether a record came off the SP-API queue: its ARN is HUB_SPAPI_QUEUE_ARN (the stack sets it),
 * or ends in the name of HUB_SPAPI_QUEUE_URL's queue (the local hub sets that).
 */
function fromSpapiQueue(record: SQSRecord): boolean {
  const arn = record.eventSourceARN ?? '';
  if (process.env.HUB_SPAPI_QUEUE_ARN) return arn === process.env.HUB_SPAPI_QUEUE_ARN;
  const name = process.env.HUB_SPAPI_QUEUE_URL?.split('/').pop();
  return name !== undefined && name !== '' && arn.endsWith(`:${name}`);
}

async function recordHandler(record: SQSRecord, tally: Tally): Promise<void> {
  const spapi = fromSpapiQueue(record);
  if (record.attributes.ApproximateReceiveCount === '1') {
    const source = record.messageAttributes?.source?.stringValue ?? (spapi ? 'amazon' : 'unknown');
    tally.accepted.set(source, (tally.accepted.get(source) ?? 0) + 1);
  }
  const attributed = record.messageAttributes?.deliveryId?.stringValue;
  const meta = { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount };
  let outcome;
  try {
    outcome = await normalizeMessage(record.body, deps, {
      messageId: record.messageId,
      sentAt: Number(record.attributes.SentTimestamp) || undefined,
      fromSpapiQueue: spapi,
    });
  } catch (err) {
    telemetry
      .withCorrelationId(attributed ?? record.messageId)
      .warn('normalize failed, will retry', { ...meta, error: err as Error });
    throw err;
  }
  const log = telemetry.withCorrelationId(outcome.deliveryId);
  if (outcome.status === 'quarantined') {
    telemetry.quarantined(outcome.reason);
    log.warn('quarantined', { ...meta, ...quarantineLogFields(outcome) });
    return;
  }
  if (outcome.status === 'ignored') {
    telemetry.ignored(outcome.source, outcome.topic);
    log.info('ignored', { ...meta, ...outcome });
    return;
  }
  tally.applied += outcome.applied;
  if (outcome.oversells > 0) telemetry.oversells(outcome.oversells);
  if (outcome.unmappedLines) telemetry.unmappedOrderLines(outcome.unmappedLines);
  log.info('normalized', { ...meta, ...outcome });
}

async function normalize(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  // events applied in this invocation, published as one value per batch
  const tally: Tally = { applied: 0, accepted: new Map() };
  const res = await processPartialResponse(event, (record: SQSRecord) => recordHandler(record, tally), processor, {
    context,
    throwOnFullBatchFailure: false,
  });
  telemetry.eventsApplied(tally.applied);
  for (const [source, n] of tally.accepted) telemetry.deliveryAccepted(source, n);
  telemetry.batchFailures(res.batchItemFailures.length);
  if (res.batchItemFailures.length > 0) {
    logger.warn('normalize batch had failures', {
      failed: res.batchItemFailures.length,
      of: event.Records.length,
      errors: processor.errors.map((e) => e.message).slice(0, 5),
    });
  }
  return res;
}

// logMetrics flushes the stored metrics after every invocation, even one that throws
export const handler = middy(normalize).use(injectLambdaContext(logger)).use(logMetrics(metrics));
