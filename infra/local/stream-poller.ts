import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type AttributeValue,
  type DynamoDBStreamsClient,
  type Shard,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue as LambdaAttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { FoldStreamEvent } from '#shared/stream/fold-event.ts';

/**
 * The local stand-in for Lambda's DynamoDB stream event source mapping (the one in
 * infra/hub-stack.ts that feeds `fold`): reads the table's stream shard by shard, keeps the records
 * the mapping's filter would let through, and hands them to the handler as the event Lambda builds
 * with a tumbling window (`shardId`, `window`, empty `state`). As with the mapping's unlimited
 * retries, a batch whose invocation throws is handed over again, unchanged, until it succeeds:
 * the poller never moves past a record the handler has not taken. A shard's records are handed
 * over in order, one batch at a time, and a child shard only after its parent has been read to
 * its end (moto gives a table one shard that never closes; DynamoDB splits them).
 *
 * Not emulated: the mapping's batching window (the poller reads every `idleDelayMs` instead, so a
 * local write reaches the fold within a fraction of a second) and its checkpoint surviving a
 * restart (a new poller starts at TRIM_HORIZON again; the fold's per-shard watermarks make a
 * replay a no-op, as they do for Lambda's retries).
 */

export type StreamInvoke = (event: FoldStreamEvent) => Promise<unknown>;

export interface StreamPollerOptions {
  dynamo: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  tableName: string;
  handler: StreamInvoke;
  region: string;
  /** most records per GetRecords and per invocation (the mapping's BatchSize; DynamoDB allows 1000) */
  batchSize?: number;
  /** the mapping's filter: records it rejects are passed over without invoking; default all */
  filter?: (record: DynamoDBRecord) => boolean;
  /** pause after a pass over the shards that found nothing new; default 150 ms */
  idleDelayMs?: number;
  /** first and longest wait before handing a failed batch over again (doubling between); default 100 ms, 5 s */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** the mapping's tumbling window, which the event's `window` is cut from; default 60 s */
  tumblingWindowSeconds?: number;
  /** how often the stream's shards are listed again (new shards after a split); default 30 s */
  shardRefreshMs?: number;
  /** where warnings go; default console.error */
  log?: (line: string) => void;
  /**
   * Only the first failure of a run of failures and the recovery are logged (plus a reminder a
   * minute), instead of every retry: a hub started quiet (tests, benchmarks, the soak's injected
   * faults) should not print a line per backoff.
   */
  quiet?: boolean;
  /**
   * Pass over every record already in the stream when the poller starts, without handing it to
   * the handler: the local hub's restore (infra/local/persist.ts) writes the saved items back, and
   * their order items were folded into the restored KPI counters before the stop.
   */
  skipExisting?: boolean;
}

export interface StreamPollerStats {
  /** invocations of the handler, retries included */
  batches: number;
  /** records handed to the handler in invocations that succeeded */
  records: number;
  /** records passed over because the filter rejected them */
  filtered: number;
  /** invocations that threw (each is retried with the same batch) */
  failures: number;
  /** stream calls that failed (DescribeStream, GetShardIterator, GetRecords) */
  pollErrors: number;
  /** the sequence number of the last record the poller moved past, handled or filtered (any shard) */
  lastSequenceNumber?: string;
  /**
   * When (epoch ms) the latest pass over the shards that found nothing new began: every write
   * acknowledged before then has been handed over. For waiters in another process (GET /health),
   * which cannot call whenIdle(): note the time after the last write, wait until this passes it.
   */
  caughtUpAt?: number;
}

/** Lambda's event source: the key-prefix filter of the stack's mapping, as a predicate. */
export function keyPrefixFilter(attribute: string, prefix: string): (record: DynamoDBRecord) => boolean {
  return (r) => {
    const key = r.dynamodb?.Keys?.[attribute];
    return typeof key?.S === 'string' && key.S.startsWith(prefix);
  };
}

/** Lambda's event source: a filter on one string attribute of the record's new image. */
export function newImageEqualsFilter(attribute: string, value: string): (record: DynamoDBRecord) => boolean {
  return (r) => r.dynamodb?.NewImage?.[attribute]?.S === value;
}

/** Lambda's event source: a record passes a mapping with several filters when any one passes it. */
export function anyFilter(...filters: ((record: DynamoDBRecord) => boolean)[]): (record: DynamoDBRecord) => boolean {
  return (r) => filters.some((f) => f(r));
}

/** SDK attribute values → the JSON shape Lambda delivers (binary values as base64 strings). */
export function toLambdaAttributeValue(v: AttributeValue): LambdaAttributeValue {
  if (v.S !== undefined) return { S: v.S };
  if (v.N !== undefined) return { N: v.N };
  if (v.BOOL !== undefined) return { BOOL: v.BOOL };
  if (v.NULL !== undefined) return { NULL: v.NULL };
  if (v.B !== undefined) return { B: Buffer.from(v.B).toString('base64') };
  if (v.SS !== undefined) return { SS: v.SS };
  if (v.NS !== undefined) return { NS: v.NS };
  if (v.BS !== undefined) return { BS: v.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (v.L !== undefined) return { L: v.L.map(toLambdaAttributeValue) };
  if (v.M !== undefined) return { M: toLambdaImage(v.M) };
  throw new Error(`unknown attribute value ${JSON.stringify(v)}`);
}

function toLambdaImage(image: Record<string, AttributeValue>): Record<string, LambdaAttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([k, v]) => [k, toLambdaAttributeValue(v)]));
}

/** A GetRecords record as Lambda puts it in the event (with the stream's ARN on each record). */
export function toDynamoDBRecord(r: _Record, streamArn: string, region: string): DynamoDBRecord {
  const d = r.dynamodb ?? {};
  const created = d.ApproximateCreationDateTime;
  return {
    ...(r.eventID !== undefined ? { eventID: r.eventID } : {}),
    ...(r.eventName !== undefined ? { eventName: r.eventName } : {}),
    eventVersion: r.eventVersion ?? '1.1',
    eventSource: r.eventSource ?? 'aws:dynamodb',
    awsRegion: r.awsRegion ?? region,
    dynamodb: {
      // epoch seconds, rounded down to the second (the stream API's documented precision)
      ...(created !== undefined ? { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) } : {}),
      ...(d.Keys ? { Keys: toLambdaImage(d.Keys) } : {}),
      ...(d.NewImage ? { NewImage: toLambdaImage(d.NewImage) } : {}),
      ...(d.OldImage ? { OldImage: toLambdaImage(d.OldImage) } : {}),
      ...(d.SequenceNumber !== undefined ? { SequenceNumber: d.SequenceNumber } : {}),
      ...(d.SizeBytes !== undefined ? { SizeBytes: d.SizeBytes } : {}),
      ...(d.StreamViewType !== undefined ? { StreamViewType: d.StreamViewType } : {}),
    },
    eventSourceARN: streamArn,
    ...(r.userIdentity ? { userIdentity: r.userIdentity } : {}),
  };
}

/** The tumbling window (ISO start and end) that contains `now`, as Lambda aligns them: to the epoch. */
export function windowAround(now: number, seconds: number): { start: string; end: string } {
  const ms = seconds * 1000;
  const start = Math.floor(now / ms) * ms;
  return { start: new Date(start).toISOString(), end: new Date(start + ms).toISOString() };
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'RequestAbortedError');
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });

const message = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

interface ShardState {
  id: string;
  parentId?: string;
  /** the last record moved past (handled or filtered); undefined: read from TRIM_HORIZON */
  checkpoint?: string;
  iterator?: string;
  /** closed and read to its end */
  finished: boolean;
}

interface IdleWaiter {
  /** resolved by the first empty pass that started after this pass number */
  afterPass: number;
  resolve: () => void;
}

export class StreamPoller {
  readonly stats: StreamPollerStats = { batches: 0, records: 0, filtered: 0, failures: 0, pollErrors: 0 };
  private readonly abort = new AbortController();
  private loopDone: Promise<void> | undefined;
  private streamArn = '';
  private readonly shards = new Map<string, ShardState>();
  private shardsListedAt = 0;
  private readonly log: (line: string) => void;
  private readonly batchSize: number;
  /** passes over the shards started so far */
  private pass = 0;
  private waiters: IdleWaiter[] = [];
  private stopped = false;

  constructor(private readonly opts: StreamPollerOptions) {
    // one GetRecords call is a batch here, and it returns at most 1,000 records: a mapping's larger
    // BatchSize (up to 10,000, gathered by Lambda over several reads) gives batches of 1,000 locally
    const wanted = opts.batchSize ?? 1000;
    if (!Number.isInteger(wanted) || wanted < 1 || wanted > 10000) {
      throw new Error(`batchSize must be an integer from 1 to 10000, got ${opts.batchSize}`);
    }
    this.batchSize = Math.min(wanted, 1000);
    this.log = opts.log ?? ((line) => console.error(line));
  }

  /** The stream read (the table's LatestStreamArn), once started. */
  get arn(): string {
    return this.streamArn;
  }

  async start(): Promise<void> {
    const { Table } = await this.opts.dynamo.send(new DescribeTableCommand({ TableName: this.opts.tableName }));
    const arn = Table?.LatestStreamArn;
    if (!arn || !Table?.StreamSpecification?.StreamEnabled)
      throw new Error(`table ${this.opts.tableName} has no stream enabled`);
    this.streamArn = arn;
    await this.listShards();
    if (this.opts.skipExisting) await this.skipToEnd();
    this.loopDone = this.loop();
  }

  /** Stops reading and waits for the invocation under way, if any, to finish (it is not retried). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.loopDone;
    this.releaseWaiters();
  }

  /**
   * Resolves once the poller has read every shard to its end, in a pass over the shards that began
   * after this call and found no record at all: everything written before the call has then been
   * handed to the handler (or filtered out) and the handler has returned. At once after stop().
   * With `timeoutMs`, rejects when that has not happened in time (a handler failing again and
   * again never gets there), with the stats in the message.
   */
  whenIdle(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.stopped || !this.loopDone) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: IdleWaiter = {
        afterPass: this.pass,
        resolve: () => {
          if (timer) clearTimeout(timer);
          resolve();
        },
      };
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new Error(`stream poller not idle after ${opts.timeoutMs} ms: ${JSON.stringify(this.stats)}`));
        }, opts.timeoutMs);
      }
      this.waiters.push(waiter);
    });
  }

  private releaseWaiters(afterPass = Number.POSITIVE_INFINITY): void {
    const ready = this.waiters.filter((w) => w.afterPass < afterPass);
    this.waiters = this.waiters.filter((w) => w.afterPass >= afterPass);
    for (const w of ready) w.resolve();
  }

  /** Moves each shard's checkpoint past the records already in it (reading them, not handling them). */
  private async skipToEnd(): Promise<void> {
    for (const shard of this.shards.values()) {
      let iterator = (
        await this.opts.streams.send(
          new GetShardIteratorCommand({
            StreamArn: this.streamArn,
            ShardId: shard.id,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      while (iterator) {
        const res = await this.opts.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        const records = res.Records ?? [];
        const last = records.at(-1)?.dynamodb?.SequenceNumber;
        if (last) shard.checkpoint = last;
        if (records.length === 0) break;
        iterator = res.NextShardIterator;
      }
    }
  }

  private async listShards(): Promise<void> {
    const listed: Shard[] = [];
    let start: string | undefined;
    do {
      const res = await this.opts.streams.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ...(start ? { ExclusiveStartShardId: start } : {}) }),
        { abortSignal: this.abort.signal },
      );
      listed.push(...(res.StreamDescription?.Shards ?? []));
      start = res.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    for (const s of listed) {
      if (!s.ShardId || this.shards.has(s.ShardId)) continue;
      this.shards.set(s.ShardId, {
        id: s.ShardId,
        ...(s.ParentShardId ? { parentId: s.ParentShardId } : {}),
        finished: false,
      });
    }
    this.shardsListedAt = Date.now();
  }

  /** Shards to read now: not finished, and their parent (if the stream still lists it) finished. */
  private readable(): ShardState[] {
    return [...this.shards.values()].filter((s) => {
      if (s.finished) return false;
      const parent = s.parentId ? this.shards.get(s.parentId) : undefined;
      return !parent || parent.finished;
    });
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    let errorRun = 0;
    while (!signal.aborted) {
      const pass = ++this.pass;
      const passStartedAt = Date.now();
      let found = 0;
      try {
        if (Date.now() - this.shardsListedAt > (this.opts.shardRefreshMs ?? 30_000)) await this.listShards();
        for (const shard of this.readable()) {
          if (signal.aborted) return;
          found += await this.readShard(shard);
        }
        if (errorRun > 0)
          this.log(`stream poller: reading ${this.streamArn} again after ${errorRun} failed attempt(s)`);
        errorRun = 0;
      } catch (err) {
        if (isAbort(err) || signal.aborted) return;
        this.stats.pollErrors++;
        errorRun++;
        if (!this.opts.quiet || errorRun === 1)
          this.log(`stream poller: reading ${this.streamArn} failed: ${message(err)}`);
        await sleep(this.backoff(errorRun), signal);
        continue;
      }
      if (found === 0) {
        // every shard read to its end in a pass that started after these waiters were registered
        this.stats.caughtUpAt = passStartedAt;
        this.releaseWaiters(pass);
        await sleep(this.opts.idleDelayMs ?? 150, signal);
      }
    }
  }

  private backoff(attempt: number): number {
    const base = this.opts.retryBaseMs ?? 100;
    return Math.min(this.opts.retryMaxMs ?? 5000, base * 2 ** Math.min(attempt - 1, 20));
  }

  private async iteratorFor(shard: ShardState): Promise<string | undefined> {
    const ask = (type: 'TRIM_HORIZON' | 'AFTER_SEQUENCE_NUMBER') =>
      this.opts.streams.send(
        new GetShardIteratorCommand({
          StreamArn: this.streamArn,
          ShardId: shard.id,
          ShardIteratorType: type,
          ...(type === 'AFTER_SEQUENCE_NUMBER' ? { SequenceNumber: shard.checkpoint } : {}),
        }),
        { abortSignal: this.abort.signal },
      );
    if (shard.checkpoint === undefined) return (await ask('TRIM_HORIZON')).ShardIterator;
    try {
      return (await ask('AFTER_SEQUENCE_NUMBER')).ShardIterator;
    } catch (err) {
      if (!(err instanceof TrimmedDataAccessException)) throw err;
      // the checkpoint left the stream (24 h): Lambda goes on from the oldest record still there
      this.log(`stream poller: records after ${shard.checkpoint} in ${shard.id} were trimmed before they were read`);
      return (await ask('TRIM_HORIZON')).ShardIterator;
    }
  }

  /** Reads one batch from a shard and hands it over (until it succeeds); the number of records read. */
  private async readShard(shard: ShardState): Promise<number> {
    shard.iterator ??= await this.iteratorFor(shard);
    if (!shard.iterator) {
      shard.finished = true;
      return 0;
    }
    let res;
    try {
      res = await this.opts.streams.send(
        new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: this.batchSize }),
        {
          abortSignal: this.abort.signal,
        },
      );
    } catch (err) {
      // an expired or unknown iterator (moto reset, 15 min idle): the next pass asks for a new one
      // from the checkpoint, which is where this one pointed
      delete shard.iterator;
      throw err;
    }
    const read = res.Records ?? [];
    if (read.length > 0) {
      const records = read.map((r) => toDynamoDBRecord(r, this.streamArn, this.opts.region));
      const kept = this.opts.filter ? records.filter(this.opts.filter) : records;
      if (kept.length > 0 && !(await this.handOver(shard, kept))) return read.length; // stopped
      this.stats.filtered += records.length - kept.length;
      const last = read[read.length - 1]!.dynamodb?.SequenceNumber;
      if (last !== undefined) {
        shard.checkpoint = last;
        this.stats.lastSequenceNumber = last;
      }
    }
    if (res.NextShardIterator) {
      shard.iterator = res.NextShardIterator;
    } else {
      // closed and read to its end; its children may start
      delete shard.iterator;
      shard.finished = true;
      this.shardsListedAt = 0;
    }
    return read.length;
  }

  /** Invokes until the handler takes the batch; false when stopped first (nothing advances). */
  private async handOver(shard: ShardState, records: DynamoDBRecord[]): Promise<boolean> {
    const signal = this.abort.signal;
    const window = windowAround(Date.now(), this.opts.tumblingWindowSeconds ?? 60);
    let attempt = 0;
    while (!signal.aborted) {
      const event: FoldStreamEvent = {
        Records: records,
        shardId: shard.id,
        eventSourceARN: this.streamArn,
        window,
        state: {},
        isFinalInvokeForWindow: false,
        isWindowTerminatedEarly: false,
      };
      this.stats.batches++;
      try {
        await this.opts.handler(event);
        this.stats.records += records.length;
        if (attempt > 0)
          this.log(`stream poller: ${shard.id} batch of ${records.length} handled after ${attempt} failed attempt(s)`);
        return true;
      } catch (err) {
        this.stats.failures++;
        attempt++;
        if (
          !this.opts.quiet ||
          attempt === 1 ||
          attempt % Math.max(1, Math.round(60_000 / (this.opts.retryMaxMs ?? 5000))) === 0
        ) {
          this.log(
            `stream poller: handler threw on ${shard.id} (batch of ${records.length} from ${records[0]?.dynamodb?.SequenceNumber}, attempt ${attempt}); ` +
              `retrying the same batch: ${message(err)}`,
          );
        }
        await sleep(this.backoff(attempt), signal);
      }
    }
    return false;
  }
}
