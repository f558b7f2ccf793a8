import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { normalizeRuntime } from '#shared/aws/normalize-runtime.ts';
import { normalizeMessage } from '#shared/normalize/normalize.ts';

const { deps, logger } = normalizeRuntime();
const processor = new BatchProcessor(EventType.SQS);

/** One queued delivery: applied, a no-op, or quarantined; a throw marks the record failed (retried). */
async function recordHandler(record: SQSRecord): Promise<void> {
  const outcome = await normalizeMessage(record.body, deps, { messageId: record.messageId, sentAt: Number(record.attributes.SentTimestamp) || undefined });
  logger.info('normalized', { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, ...outcome });
}

async function normalize(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const res = await processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
  if (res.batchItemFailures.length > 0) {
    logger.warn('normalize batch had failures', { failed: res.batchItemFailures.length, of: event.Records.length, errors: processor.errors.map((e) => e.message).slice(0, 5) });
  }
  return res;
}

export const handler = middy(normalize);
