import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';

/**
 * The local stand-in for Lambda's SQS event source mapping: receives from a queue, hands batches
 * to the handler as real `SQSEvent`s, and deletes what succeeded. Failed records are left alone so
 * they become visible again after the visibility timeout and, after `maxReceiveCount` receives, SQS
 * itself moves them to the DLQ — the same redrive path the cloud takes.
 */

export type SqsInvoke = (event: SQSEvent) => Promise<SQSBatchResponse | void | undefined | null>;

export interface SqsPollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  handler: SqsInvoke;
  region: string;
  /** most records per invocation (the mapping's BatchSize) */
  batchSize: number;
  /** how long to keep gathering records before invoking with a partial batch (MaximumBatchingWindowInSeconds) */
  batchWindowSeconds: number;
  /** long-poll wait per receive; SQS allows 0-20 s */
  waitTimeSeconds?: number;
  /** parallel receive/invoke loops (Lambda runs several pollers per mapping); default 1 */
  concurrency?: number;
  /** one line per invocation that failed; default console.error */
  log?: (line: string) => void;
  /**
   * Overrides the queue's visibility timeout on receive. Lambda always uses the queue's (181 s in
   * the stack); locally a hub that was killed would leave its in-flight messages hidden that long,
   * so `HUB_VISIBILITY_TIMEOUT_SECONDS` may shorten it for development and soak runs.
   */
  visibilityTimeoutSeconds?: number;
}

export interface SqsPollerStats {
  /** invocations of the handler */
  batches: number;
  /** records handed to the handler */
  records: number;
  /** records deleted after success */
  deleted: number;
  /** records left on the queue to be retried (reported failures, plus whole batches of throws) */
  failures: number;
  /** invocations that threw */
  handlerErrors: number;
  /** receive/delete calls that failed (endpoint down, throttled) */
  pollErrors: number;
}

/** SQS returns at most 10 messages per ReceiveMessage and deletes at most 10 per DeleteMessageBatch. */
const SQS_MAX_PER_CALL = 10;
/** Lambda's invocation payload limit (6 MB) also caps how much an event source batch may carry. */
const MAX_EVENT_BYTES = 6 * 1024 * 1024;

/** SDK message attributes → the shape Lambda puts in `SQSRecord.messageAttributes`. */
export function toLambdaMessageAttributes(
  attrs: Record<string, MessageAttributeValue> | undefined,
): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, a] of Object.entries(attrs ?? {})) {
    out[name] = {
      dataType: a.DataType ?? 'String',
      ...(a.StringValue !== undefined ? { stringValue: a.StringValue } : {}),
      ...(a.BinaryValue !== undefined ? { binaryValue: Buffer.from(a.BinaryValue).toString('base64') } : {}),
      stringListValues: a.StringListValues ?? [],
      binaryListValues: (a.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
    };
  }
  return out;
}

export function toSqsRecord(m: Message, queueArn: string, region: string): SQSRecord {
  return {
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body ?? '',
    attributes: { ...(m.Attributes ?? {}) } as unknown as SQSRecordAttributes,
    messageAttributes: toLambdaMessageAttributes(m.MessageAttributes),
    md5OfBody: m.MD5OfBody ?? '',
    ...(m.MD5OfMessageAttributes ? { md5OfMessageAttributes: m.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'RequestAbortedError');
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

export class SqsPoller {
  readonly stats: SqsPollerStats = { batches: 0, records: 0, deleted: 0, failures: 0, handlerErrors: 0, pollErrors: 0 };
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private queueArn = '';
  private readonly log: (line: string) => void;

  constructor(private readonly opts: SqsPollerOptions) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1)
      throw new Error(`batchSize must be a positive integer, got ${opts.batchSize}`);
    this.log = opts.log ?? ((line) => console.error(line));
  }

  async start(): Promise<void> {
    const attrs = await this.opts.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: this.opts.queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const arn = attrs.Attributes?.QueueArn;
    if (!arn) throw new Error(`queue ${this.opts.queueUrl} has no QueueArn`);
    this.queueArn = arn;
    const n = Math.max(1, this.opts.concurrency ?? 1);
    this.loops = Array.from({ length: n }, () => this.loop());
  }

  /** Stops receiving and waits for the batch being handled to finish (its deletes included). */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  private async receive(max: number, waitSeconds: number): Promise<Message[]> {
    const res = await this.opts.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.opts.queueUrl,
        MaxNumberOfMessages: Math.min(SQS_MAX_PER_CALL, max),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
        ...(this.opts.visibilityTimeoutSeconds !== undefined
          ? { VisibilityTimeout: this.opts.visibilityTimeoutSeconds }
          : {}),
      }),
      { abortSignal: this.abort.signal },
    );
    return res.Messages ?? [];
  }

  /** One batch the way the event source mapping builds it: up to batchSize, within the window. */
  private async gather(): Promise<Message[]> {
    const { batchSize, batchWindowSeconds } = this.opts;
    const wait = Math.min(20, this.opts.waitTimeSeconds ?? 20);
    const batch = await this.receive(batchSize, wait);
    if (batch.length === 0) return batch;
    let bytes = batch.reduce((n, m) => n + Buffer.byteLength(m.Body ?? ''), 0);
    const deadline = Date.now() + batchWindowSeconds * 1000;
    while (batch.length < batchSize && bytes < MAX_EVENT_BYTES && !this.abort.signal.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      // a long poll returns as soon as messages arrive, so waiting for the window's remainder
      // costs nothing when traffic is flowing (WaitTimeSeconds is whole seconds, at most 20)
      let more: Message[];
      try {
        more = await this.receive(batchSize - batch.length, Math.min(20, Math.floor(left / 1000)));
      } catch (err) {
        // what was gathered so far is still handed over; the messages stay invisible otherwise
        if (!isAbort(err)) this.stats.pollErrors++;
        break;
      }
      if (more.length === 0 && left < 1000) break;
      batch.push(...more);
      bytes += more.reduce((n, m) => n + Buffer.byteLength(m.Body ?? ''), 0);
    }
    return batch;
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let batch: Message[];
      try {
        batch = await this.gather();
      } catch (err) {
        if (isAbort(err) || signal.aborted) return;
        this.stats.pollErrors++;
        this.log(`sqs poller: receive from ${this.opts.queueUrl} failed: ${String(err)}`);
        await sleep(1000, signal);
        continue;
      }
      if (batch.length > 0) await this.invoke(batch);
    }
  }

  private async invoke(batch: Message[]): Promise<void> {
    const records = batch.map((m) => toSqsRecord(m, this.queueArn, this.opts.region));
    this.stats.batches++;
    this.stats.records += records.length;
    let failed: Set<string>;
    try {
      const response = await this.opts.handler({ Records: records });
      failed = failedIds(response, records);
    } catch (err) {
      // as in Lambda: a thrown error fails the whole batch; every record comes back
      this.stats.handlerErrors++;
      this.stats.failures += records.length;
      this.log(
        `sqs poller: handler threw on a batch of ${records.length}: ${err instanceof Error ? err.message : String(err)}`,
      );
      return;
    }
    this.stats.failures += failed.size;
    const done = records.filter((r) => !failed.has(r.messageId));
    for (let i = 0; i < done.length; i += SQS_MAX_PER_CALL) {
      const chunk = done.slice(i, i + SQS_MAX_PER_CALL);
      try {
        // not aborted on stop: a handled batch is deleted before stop() returns
        const res = await this.opts.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.opts.queueUrl,
            Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
          }),
        );
        this.stats.deleted += res.Successful?.length ?? 0;
        if (res.Failed?.length) this.stats.pollErrors += res.Failed.length;
      } catch (err) {
        // undeleted records are redelivered; the handler is idempotent by design (principle 2)
        this.stats.pollErrors++;
        this.log(`sqs poller: delete failed: ${String(err)}`);
      }
    }
  }
}

/**
 * The records to retry. As Lambda does with ReportBatchItemFailures, a response naming an id that
 * is not in the batch (or an empty id) is invalid and fails the whole batch.
 */
export function failedIds(response: SQSBatchResponse | void | undefined | null, records: SQSRecord[]): Set<string> {
  const failures = response?.batchItemFailures ?? [];
  const ids = new Set(records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const f of failures) {
    if (!f?.itemIdentifier || !ids.has(f.itemIdentifier)) return ids;
    failed.add(f.itemIdentifier);
  }
  return failed;
}
