import type { DynamoDBRecord } from 'aws-lambda';

/**
 * The event the `fold` function receives from its DynamoDB stream event source mapping. The
 * mapping has a tumbling window (TumblingWindowInSeconds > 0) only so that Lambda puts the
 * stream shard's id in the event (`shardId`): the fold keys its per-shard watermarks by it. The
 * window state is not used (the answer always carries an empty `state`, which Lambda requires).
 * The local runner (infra/local/stream-poller.ts) builds the same shape from GetRecords.
 */
export interface FoldStreamEvent {
  Records: DynamoDBRecord[];
  shardId: string;
  eventSourceARN?: string;
  window?: { start: string; end: string };
  state?: Record<string, string>;
  isFinalInvokeForWindow?: boolean;
  isWindowTerminatedEarly?: boolean;
}

/** What the function answers: Lambda treats an answer without `state` as a failed invocation. */
export interface FoldStreamResponse {
  state: Record<string, string>;
  batchItemFailures: { itemIdentifier: string }[];
}
