import { COST_GOAL_PER_MILLION, GATEWAY_PRICES_PER_MILLION, PRICES } from './prices.ts';
import { measureClientCpu } from './client-cpu.ts';
import { measureIngest } from './ingest.ts';
import {
  FOLD_WINDOW_SECONDS,
  foldWriteUnits,
  foldFeedWriteUnits,
  normalizeDirectoryWriteUnits,
  itemTypeOf,
  measureNormalize,
  measureQuietFold,
  QUIET_DELIVERIES_PER_SECOND,
  quietFoldBatch,
  summarize,
  type FoldCost,
} from './normalize-cost.ts';

/** Webhooks a day of the merchants whose month the bench prices. */
export const MERCHANT_DAYS = { small: 10_000, large: 2_000_000 } as const;
export const DAYS_PER_MONTH = 730 / 24;
export const IDLE_GOAL_PER_MONTH = 6;
/** What a quiet hub (one delivery a second) should cost per million. */
export const QUIET_GOAL_PER_MILLION = 3;

/** Fold batching windows the quiet hub is priced at (seconds; the mapping allows up to 300). */
export const QUIET_WINDOW_SWEEP = [5, 30, 60, 120, 300] as const;
/** Normalize batching windows the quiet hub is priced at (seconds, -c normalizeWindowSeconds). */
export const QUIET_NORMALIZE_WINDOW_SWEEP = [1, 5, 10, 20, 30] as const;
/**
 * How long a ReceiveMessage gathers on a queue that is not backed up: a long poll returns as soon as
 * a message is there, so a receive brings what arrived within about its round trip and the next
 * call's (an estimate; a backed-up queue, as on a busy hub, gives 10 a call).
 */
export const RECEIVE_GATHERS_SECONDS = 0.1;
import { IDLE_ASSUMPTIONS, idleCost } from './idle-cost.ts';
import { synthHubTemplate } from '../infra/local/template.ts';
import { mixLabel, readConst, readSource, round, type BenchModule, type DeliveryCost } from './lib.ts';

/** Stated allowances for what the in-process figures leave out. */
export const ALLOWANCES = {
  /** one DynamoDB request's round trip inside normalize's billed duration */
  dynamoRoundTripMs: 5,
  /** ingest's SQS SendMessage round trip inside its billed duration */
  sqsSendMs: 10,
  /**
   * Lambda allots CPU in proportion to memory (one vCPU at 1,769 MB), so CPU-bound work measured
   * on a full core here takes about 1769/memory times as long in a 256 MB function.
   */
  cpuShare: (memoryMb: number) => Math.max(1, 1769 / memoryMb),
};

/** Memory and batching as the stack deploys them (read from the source, so a change shows up here). */
export function deployedSettings() {
  const stack = readSource('infra/hub-stack.ts');
  // each function's memory is a constant its HubFunction is given (memorySize: X_MEMORY_MB)
  for (const [fn, name] of [
    ['Ingest', 'INGEST_MEMORY_MB'],
    ['Normalize', 'NORMALIZE_MEMORY_MB'],
    ['Fold', 'FOLD_MEMORY_MB'],
  ] as const) {
    const block = new RegExp(`new HubFunction\\(this, '${fn}', \\{[\\s\\S]*?\\n    \\}\\);`).exec(stack)?.[0] ?? '';
    if (!new RegExp(`memorySize:\\s*${name}\\b`).test(block))
      throw new Error(`cost bench: ${fn} is not given memorySize: ${name} in infra/hub-stack.ts; update bench/cost.ts`);
  }
  return {
    ingestMemoryMb: readConst('infra/hub-stack.ts', /export const INGEST_MEMORY_MB = (\d+)/, 'INGEST_MEMORY_MB'),
    normalizeMemoryMb: readConst(
      'infra/hub-stack.ts',
      /export const NORMALIZE_MEMORY_MB = (\d+)/,
      'NORMALIZE_MEMORY_MB',
    ),
    foldMemoryMb: readConst('infra/hub-stack.ts', /export const FOLD_MEMORY_MB = (\d+)/, 'FOLD_MEMORY_MB'),
    normalizeBatchSize: readConst(
      'infra/hub-stack.ts',
      /export const NORMALIZE_BATCH_SIZE = (\d+)/,
      'NORMALIZE_BATCH_SIZE',
    ),
    normalizeWindowSeconds: readConst(
      'infra/hub-stack.ts',
      /export const NORMALIZE_BATCH_WINDOW_SECONDS = (\d+)/,
      'NORMALIZE_BATCH_WINDOW_SECONDS',
    ),
    normalizeMaxConcurrency: readConst(
      'infra/hub-stack.ts',
      /normalizeMaxConcurrency:.*\.default\((\d+)\)/,
      'the default normalizeMaxConcurrency',
    ),
  };
}

/**
 * A fold batch's DynamoDB requests in rounds: balances and counters read 100 per BatchGetItem,
 * then counters written 16 at a time, then balances (each after its ledger row) 16 at a time
 * (shared/stream/fold-apply.ts, shared/inventory/stock-fold.ts CONCURRENCY).
 */
export function foldRequestRounds(f: FoldCost): number {
  const per = (n: number) => n / Math.max(1, f.batches);
  return (
    Math.ceil(per(f.counterWrites + f.balanceWrites) / 100) +
    Math.ceil(per(f.counterWrites) / 16) +
    Math.ceil((per(f.balanceWrites) / 16) * (1 + f.ledgerRows / Math.max(1, f.balanceWrites)))
  );
}

/**
 * A fold batch's CPU on a full core: its in-process time on the memory table, plus the DynamoDB
 * client's CPU for each request it makes (`clientRequestMs`, bench/client-cpu.ts).
 */
export function foldCpuMs(f: FoldCost, clientRequestMs: number): number {
  return (f.ms + (f.readRequests + f.writeRequests) * clientRequestMs) / Math.max(1, f.batches);
}

/**
 * A fold batch's duration in a function of `memoryMb`: its CPU (foldCpuMs) at that share, then its
 * request rounds.
 */
export function foldBatchMs(f: FoldCost, memoryMb: number, clientRequestMs: number): number {
  return (
    foldCpuMs(f, clientRequestMs) * ALLOWANCES.cpuShare(memoryMb) + ALLOWANCES.dynamoRoundTripMs * foldRequestRounds(f)
  );
}

/** A delivery's normalize CPU on a full core: in process on the memory table, plus the DynamoDB client's per request. */
export function normalizeCpuMs(c: DeliveryCost, clientRequestMs: number): number {
  return c.ms + (c.readRequests + c.writeRequests) * clientRequestMs;
}

/**
 * normalize's billed milliseconds per delivery in batches of `batchSize` at `memoryMb`: per batch,
 * its records' CPU at that share (records are processed concurrently, as Powertools
 * BatchProcessor does, so CPU adds up) plus the longest chain of DynamoDB round trips in it.
 */
export function normalizeBilledMsPerDelivery(
  costs: DeliveryCost[],
  batchSize: number,
  memoryMb: number,
  clientRequestMs: number,
): number {
  const share = ALLOWANCES.cpuShare(memoryMb);
  let ms = 0;
  for (let i = 0; i < costs.length; i += batchSize) {
    const batch = costs.slice(i, i + batchSize);
    ms += Math.ceil(
      batch.reduce((n, c) => n + normalizeCpuMs(c, clientRequestMs), 0) * share +
        Math.max(...batch.map((c) => c.readRequests + c.writeRequests)) * ALLOWANCES.dynamoRoundTripMs,
    );
  }
  return ms / costs.length;
}

export const costBench: BenchModule = {
  name: 'cost',
  title: 'Cost per million webhooks, AWS list prices',
  async run(ctx) {
    const { mix, costs, fold } = await measureNormalize(ctx);
    const ingest = await measureIngest(ctx);
    const client = await measureClientCpu(ctx);
    const s = summarize(costs);
    const set = deployedSettings();
    const M = 1_000_000;
    const gbs = (mb: number, ms: number) => (mb / 1024) * (ms / 1000);
    const lines: { item: string; arithmetic: string; usd: number }[] = [];
    const add = (item: string, arithmetic: string, usd: number) => lines.push({ item, arithmetic, usd: round(usd, 4) });

    // --- ingest: one invocation per webhook (function URL: no gateway charge). Amazon's SP-API
    // notifications are sent by Amazon's account straight to the SP-API queue: no ingest
    // invocation, but the queue's owner (the hub's account) pays for that SendMessage (SQS bills
    // requests to a shared queue to its owner)
    const amazonShare = mix.items.filter((it) => it.source === 'amazon').length / mix.items.length;
    const viaIngest = 1 - amazonShare;
    const ingestCpu = ALLOWANCES.cpuShare(set.ingestMemoryMb);
    const normCpu = ALLOWANCES.cpuShare(set.normalizeMemoryMb);
    const ingestMs = Math.ceil((ingest.p50Ms + client.sqsSendMs) * ingestCpu + ALLOWANCES.sqsSendMs);
    add(
      'Lambda ingest requests',
      `1 per webhook, ${round(viaIngest, 4)} per delivery (${round(amazonShare * 100, 1)}% are Amazon SP-API notifications, which reach the SP-API queue without ingest) × $${PRICES.lambda.perMillionRequests}/M`,
      viaIngest * PRICES.lambda.perMillionRequests,
    );
    add(
      'Lambda ingest duration',
      `ceil((${ingest.p50Ms} ms in-process p50 + ${client.sqsSendMs} ms SendMessage client CPU) × ${round(ingestCpu, 2)} CPU share + ${ALLOWANCES.sqsSendMs} ms SQS send allowance) = ${ingestMs} ms × ${set.ingestMemoryMb} MB = ${round(gbs(set.ingestMemoryMb, ingestMs), 6)} GB-s × ${round(viaIngest, 4)} per delivery × $${PRICES.lambda.arm64PerGbSecond}`,
      gbs(set.ingestMemoryMb, ingestMs) * viaIngest * PRICES.lambda.arm64PerGbSecond * M,
    );
    add('Function URL', 'no charge beyond the Lambda request', 0);

    // --- SQS: send per delivery (64 KB chunks), receive/delete in tens (the event source mapping)
    // ingest sends the delivery envelope; Amazon sends its notification as it is
    const messageBytes = mix.items.map(
      (it) => Buffer.byteLength(it.source === 'amazon' ? it.body : JSON.stringify(it.delivery)) + 200,
    );
    const sendChunks = messageBytes.reduce((n, b) => n + Math.ceil(b / PRICES.sqs.chunkBytes), 0) / messageBytes.length;
    const meanBytes = messageBytes.reduce((a, b) => a + b, 0) / messageBytes.length;
    const receiveChunks = Math.ceil((10 * meanBytes) / PRICES.sqs.chunkBytes) / 10;
    add(
      'SQS SendMessage',
      `${round(sendChunks, 3)} requests per delivery (mean message ${Math.round(meanBytes)} B incl. attributes; ingest's sends, and Amazon's to the SP-API queue, which its owner pays for) × $${PRICES.sqs.standardPerMillionRequests}/M`,
      sendChunks * PRICES.sqs.standardPerMillionRequests,
    );
    add(
      'SQS ReceiveMessage',
      `10 messages per call, ${round(receiveChunks, 3)} requests per delivery (64 KB chunks) × $${PRICES.sqs.standardPerMillionRequests}/M`,
      receiveChunks * PRICES.sqs.standardPerMillionRequests,
    );
    add(
      'SQS DeleteMessageBatch',
      `10 per call, 0.1 per delivery × $${PRICES.sqs.standardPerMillionRequests}/M`,
      0.1 * PRICES.sqs.standardPerMillionRequests,
    );

    // --- normalize: batches of NORMALIZE_BATCH_SIZE, records in a batch processed concurrently
    // (Powertools BatchProcessor default): CPU adds up, DynamoDB round trips overlap
    const B = set.normalizeBatchSize;
    const deliveryCpuMs = (c: DeliveryCost) => normalizeCpuMs(c, client.dynamoRequestMs);
    let billedMsParallel = 0;
    let billedMsSequential = 0;
    for (let i = 0; i < costs.length; i += B) {
      const batch = costs.slice(i, i + B);
      const cpu = batch.reduce((n, c) => n + deliveryCpuMs(c), 0) * normCpu;
      const maxReq = Math.max(...batch.map((c) => c.readRequests + c.writeRequests));
      billedMsParallel += Math.ceil(cpu + maxReq * ALLOWANCES.dynamoRoundTripMs);
      billedMsSequential += Math.ceil(
        cpu + batch.reduce((n, c) => n + (c.readRequests + c.writeRequests) * ALLOWANCES.dynamoRoundTripMs, 0),
      );
    }
    const normMsPerDelivery = billedMsParallel / costs.length;
    add(
      'Lambda normalize requests',
      `1 per batch of ${B} = ${round(1 / B, 4)} per delivery × $${PRICES.lambda.perMillionRequests}/M`,
      PRICES.lambda.perMillionRequests / B,
    );
    add(
      'Lambda normalize duration',
      `per batch: Σ CPU (${s.inProcessMsMean} ms mean/delivery in process on the memory table + ${client.dynamoRequestMs} ms DynamoDB client CPU × ${round(s.readRequests + s.writeRequests, 3)} requests, × ${round(normCpu, 2)} CPU share) + ${ALLOWANCES.dynamoRoundTripMs} ms × the longest chain of DynamoDB requests in the batch → ${round(normMsPerDelivery, 3)} ms per delivery × ${set.normalizeMemoryMb} MB × $${PRICES.lambda.arm64PerGbSecond}/GB-s`,
      gbs(set.normalizeMemoryMb, normMsPerDelivery) * PRICES.lambda.arm64PerGbSecond * M,
    );
    // normalize's balance directory entries are priced on the directory's own line (below)
    const normDirWu = normalizeDirectoryWriteUnits(costs);
    add(
      'DynamoDB write units',
      `${round(s.writeUnits - normDirWu)} WU per delivery (balance directory entries apart) × $${PRICES.dynamodb.perMillionWriteUnits}/M`,
      (s.writeUnits - normDirWu) * PRICES.dynamodb.perMillionWriteUnits,
    );
    add(
      'DynamoDB read units',
      `${s.readUnits} RU per delivery (first reads of orders and counted balances eventually consistent at half a unit, the rest strongly consistent) × $${PRICES.dynamodb.perMillionReadUnits}/M`,
      s.readUnits * PRICES.dynamodb.perMillionReadUnits,
    );
    // --- fold: reads the table's stream (free for a Lambda trigger), folds order changes into stock
    // balances, ledger rows and KPI counters
    const foldMb = set.foldMemoryMb;
    const foldCpu = ALLOWANCES.cpuShare(foldMb);
    const foldRounds = foldRequestRounds;
    const foldMsPerBatch = (f: FoldCost) => foldBatchMs(f, foldMb, client.dynamoRequestMs);
    type Line = { item: string; arithmetic: string; usd: number };
    const foldLines = (f: FoldCost): Line[] => {
      const out: Line[] = [];
      const put = (item: string, arithmetic: string, usd: number) => out.push({ item, arithmetic, usd: round(usd, 4) });
      const invocations = f.batches / costs.length;
      put(
        'Lambda fold requests',
        `${f.batches} batches of ≤ ${f.batchSize} stream records for ${costs.length} deliveries = ${round(invocations, 5)} per delivery × $${PRICES.lambda.perMillionRequests}/M`,
        invocations * PRICES.lambda.perMillionRequests,
      );
      put(
        'Lambda fold duration',
        `per batch: CPU ${round(foldCpuMs(f, client.dynamoRequestMs), 2)} ms (in process ${round(f.ms / Math.max(1, f.batches), 2)} ms + ${round((f.readRequests + f.writeRequests) / Math.max(1, f.batches), 1)} requests × ${client.dynamoRequestMs} ms client CPU) × ${round(foldCpu, 2)} + ${foldRounds(f)} rounds of DynamoDB requests × ${ALLOWANCES.dynamoRoundTripMs} ms (reads 100 a request, writes 16 at a time) → ${round(foldMsPerBatch(f), 2)} ms × ${foldMb} MB`,
        (gbs(foldMb, foldMsPerBatch(f)) * f.batches * PRICES.lambda.arm64PerGbSecond * M) / costs.length,
      );
      const feed = foldFeedWriteUnits(f);
      const foldOwn = (foldWriteUnits(f) - feed.pages - feed.directory) / costs.length;
      put(
        'DynamoDB fold write units',
        `${round(foldOwn)} WU per delivery (one update per balance and per KPI counter per batch; a ledger row per full list of movements on a balance) × $${PRICES.dynamodb.perMillionWriteUnits}/M`,
        foldOwn * PRICES.dynamodb.perMillionWriteUnits,
      );
      put(
        'DynamoDB change pages',
        `${round(feed.pages / costs.length)} WU per delivery (the delta feed: each fold batch's changed balances on one page, in parts of ≤ 64 KB) × $${PRICES.dynamodb.perMillionWriteUnits}/M`,
        (feed.pages / costs.length) * PRICES.dynamodb.perMillionWriteUnits,
      );
      const dirWu = feed.directory / costs.length + normDirWu;
      // written once per SKU × location the hub ever sees, not per webhook: not in the per-million
      // total (a hub's balances exist after its first days); what it costs is stated per balance
      put(
        'DynamoDB balance directory (one-time)',
        `1 WU per new SKU × location ($${PRICES.dynamodb.perMillionWriteUnits} per million balances), not per webhook; this mix starts on an empty table, so its ${round(dirWu)} WU per delivery (by the fold ${round(feed.directory / costs.length)} + by counts and adjustments ${round(normDirWu)}) would add $${round(dirWu * PRICES.dynamodb.perMillionWriteUnits, 4)} per million if every balance were new`,
        0,
      );
      put(
        'DynamoDB fold read units',
        `${round(f.readUnits / costs.length)} RU per delivery (balances and counters read before they are written) × $${PRICES.dynamodb.perMillionReadUnits}/M`,
        (f.readUnits / costs.length) * PRICES.dynamodb.perMillionReadUnits,
      );
      put('DynamoDB Streams', 'GetRecords by a Lambda trigger: no charge', 0);
      const gsi = s.gsiWriteUnits + f.gsiWriteUnits / costs.length;
      put(
        'DynamoDB GSI byUpdated',
        `${round(gsi)} WU per delivery replicated to the index (channel items; balances left it for the change pages: by normalize ${s.gsiWriteUnits} + by the fold ${round(f.gsiWriteUnits / costs.length)}) × $${PRICES.dynamodb.perMillionWriteUnits}/M`,
        gsi * PRICES.dynamodb.perMillionWriteUnits,
      );
      return out;
    };
    lines.push(...foldLines(fold.busy));
    add('ingest connection lookup', 'cached 60 s per container: ~0 per delivery', 0);

    const total = round(
      lines.reduce((n, l) => n + l.usd, 0),
      4,
    );
    const dynamoShare = round(
      lines.filter((l) => l.item.startsWith('DynamoDB')).reduce((n, l) => n + l.usd, 0) / total,
      3,
    );
    // A hub receiving `perSecond` deliveries: normalize's batches hold what its window gathers (up
    // to BatchSize; a quiet hub's are of one), each receive and delete call carries up to 10 of
    // them, and the fold's batches hold what its window gathers (normalize-cost.ts). Line by line,
    // so the line that dominates shows. The busy hub above is this with full batches.
    const normMsPerDeliveryAt = (b: number) =>
      normalizeBilledMsPerDelivery(costs, b, set.normalizeMemoryMb, client.dynamoRequestMs);
    const linesAt = (perSecond: number, f: FoldCost, normalizeWindow = set.normalizeWindowSeconds): Line[] => {
      const b = Math.min(B, Math.max(1, Math.round(perSecond * normalizeWindow)));
      const perCall = Math.min(10, b);
      const perReceive = Math.min(10, Math.max(1, perSecond * RECEIVE_GATHERS_SECONDS));
      const sqs = PRICES.sqs.standardPerMillionRequests;
      const normMs = normMsPerDeliveryAt(b);
      const replaced: Record<string, Line> = {
        'SQS ReceiveMessage': {
          item: 'SQS ReceiveMessage',
          arithmetic: `${round(perReceive, 2)} per call (what arrives within ${RECEIVE_GATHERS_SECONDS} s at ${perSecond}/s: a long poll returns as soon as a message is there), ${round(1 / perReceive, 3)} per delivery × $${sqs}/M`,
          usd: round(sqs / perReceive, 4),
        },
        'SQS DeleteMessageBatch': {
          item: 'SQS DeleteMessageBatch',
          arithmetic: `${perCall} per call, ${round(1 / perCall, 3)} per delivery × $${sqs}/M`,
          usd: round(sqs / perCall, 4),
        },
        'Lambda normalize requests': {
          item: 'Lambda normalize requests',
          arithmetic: `1 per batch of ${b} (${perSecond}/s over a ${normalizeWindow} s window) = ${round(1 / b, 4)} per delivery × $${PRICES.lambda.perMillionRequests}/M`,
          usd: round(PRICES.lambda.perMillionRequests / b, 4),
        },
        'Lambda normalize duration': {
          item: 'Lambda normalize duration',
          arithmetic: `${round(normMs, 3)} ms per delivery in batches of ${b} × ${set.normalizeMemoryMb} MB × $${PRICES.lambda.arm64PerGbSecond}/GB-s`,
          usd: round(gbs(set.normalizeMemoryMb, normMs) * PRICES.lambda.arm64PerGbSecond * M, 4),
        },
      };
      for (const l of foldLines(f)) replaced[l.item] = l;
      return lines.map((l) => replaced[l.item] ?? l);
    };
    const quietLines = (f: FoldCost, normalizeWindow = set.normalizeWindowSeconds) =>
      linesAt(QUIET_DELIVERIES_PER_SECOND, f, normalizeWindow);
    const sumOf = (ls: Line[]) =>
      round(
        ls.reduce((n, l) => n + l.usd, 0),
        4,
      );
    /** the fold's batches at `perSecond` over `windowSeconds`: what the window gathers, or full ones */
    const foldAt = async (perSecond: number, windowSeconds: number): Promise<FoldCost> => {
      const batch = quietFoldBatch(windowSeconds, fold.busy.records, costs.length, perSecond);
      if (batch >= fold.busy.batchSize) return fold.busy;
      if (batch === fold.quiet.batchSize) return fold.quiet;
      return measureQuietFold(ctx, windowSeconds, perSecond);
    };
    const quiet = quietLines(fold.quiet);
    const quietTotal = round(
      quiet.reduce((n, l) => n + l.usd, 0),
      4,
    );

    ctx.log(
      `measured on ${mixLabel(mix)} (normalize) and ${ingest.requests.toLocaleString('en-US')} ingest requests; prices: ${PRICES.region}, arm64, list prices as of ${PRICES.asOf}`,
    );
    ctx.log(
      `normalize's in-process time excludes DynamoDB latency; ${ALLOWANCES.dynamoRoundTripMs} ms per DynamoDB request and ${ALLOWANCES.sqsSendMs} ms per SQS send are added to the billed durations; the clients' own CPU per request (measured: SendMessage ${client.sqsSendMs} ms, DynamoDB GetItem ${client.dynamoGetMs} ms / PutItem ${client.dynamoPutMs} ms on this core) is added to the CPU; and CPU time measured here is stretched ×${round(ingestCpu, 2)} for ingest's ${set.ingestMemoryMb} MB, ×${round(normCpu, 2)} for normalize's ${set.normalizeMemoryMb} MB and ×${round(ALLOWANCES.cpuShare(set.foldMemoryMb), 2)} for the fold's ${set.foldMemoryMb} MB CPU share`,
    );
    const w = Math.max(...lines.map((l) => l.item.length));
    for (const l of lines) ctx.log(`  ${l.item.padEnd(w)}  $${l.usd.toFixed(4).padStart(7)}  ${l.arithmetic}`);
    ctx.log(
      `  ${'TOTAL per million deliveries'.padEnd(w)}  $${total.toFixed(4).padStart(7)}  goal $${COST_GOAL_PER_MILLION.toFixed(2)} → ${total <= COST_GOAL_PER_MILLION ? 'met' : 'NOT met'}; DynamoDB is ${(dynamoShare * 100).toFixed(0)}% of it`,
    );
    // normalize's write units by item type (pk prefix; an order's customer items apart), as the fold's are listed
    const normByType: Record<string, number> = {};
    for (const c of costs)
      for (const w of c.writes) {
        const type = itemTypeOf(w.pk);
        normByType[type] = (normByType[type] ?? 0) + w.units;
      }
    ctx.log(
      `  normalize's write units per delivery by item (ORDER orders, ORDER/CUSTOMER a customer's first-order mark, ORDER/CUSTOMER-PRODUCT a customer's purchases of a product, SKU balances and ledger rows of counts and adjustments, LISTING / SKULIST listing mappings and their reverse items, …): ${Object.entries(
        normByType,
      )
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${round(v / costs.length)}`)
        .join(', ')}`,
    );
    if (total > COST_GOAL_PER_MILLION) {
      const over = round(total - COST_GOAL_PER_MILLION, 4);
      ctx.log(
        `  the busy-hub goal is missed by $${over.toFixed(4)}; the lines that stand in the way, largest first: ${[
          ...lines,
        ]
          .filter((l) => l.usd > 0.01)
          .sort((a, b) => b.usd - a.usd)
          .map((l) => `${l.item} $${l.usd.toFixed(3)}`)
          .join(', ')}`,
      );
    }
    ctx.log(
      `  quiet hub (one delivery a second: normalize batches of one, fold batches of ${fold.quiet.batchSize}): $${quietTotal.toFixed(4)} per million; sequential (not concurrent) record processing would bill ${round(billedMsSequential / costs.length, 2)} ms/delivery instead of ${round(normMsPerDelivery, 2)}`,
    );
    ctx.log(`  quiet hub, line by line (fold window ${FOLD_WINDOW_SECONDS} s):`);
    for (const l of [...quiet].sort((a, b) => b.usd - a.usd))
      if (l.usd > 0) ctx.log(`    ${l.item.padEnd(w)}  $${l.usd.toFixed(4).padStart(7)}  ${l.arithmetic}`);
    const perDelivery = (v: number) => round(v / costs.length);
    const byType = (f: FoldCost) =>
      Object.entries(f.writeUnitsByItemType)
        .map(([k, v]) => `${k} ${perDelivery(v)}`)
        .join(', ');
    ctx.log(
      `    the quiet fold's write units per delivery by item (SKU: balances and ledger rows; KPI, KPID, KPIM: hour, day and month counters): ${byType(fold.quiet)}; ${perDelivery(fold.quiet.balanceWrites)} balance writes per delivery (busy hub: ${byType(fold.busy)}; ${perDelivery(fold.busy.balanceWrites)} balance writes)`,
    );
    const sweep: Record<number, number> = {};
    for (const win of QUIET_WINDOW_SWEEP)
      sweep[win] = sumOf(quietLines(await foldAt(QUIET_DELIVERIES_PER_SECOND, win)));
    ctx.log(
      `  quiet hub by fold window (s → $ per million): ${Object.entries(sweep)
        .map(([k, v]) => `${k} s → $${v.toFixed(2)}`)
        .join(', ')}`,
    );
    // both windows: on a quiet hub stock and KPIs trail a webhook by about their sum
    const grid: { normalizeWindowSeconds: number; foldWindowSeconds: number; trailSeconds: number; usd: number }[] = [];
    for (const nw of QUIET_NORMALIZE_WINDOW_SWEEP)
      for (const fw of QUIET_WINDOW_SWEEP)
        grid.push({
          normalizeWindowSeconds: nw,
          foldWindowSeconds: fw,
          trailSeconds: nw + fw,
          usd: sumOf(quietLines(await foldAt(QUIET_DELIVERIES_PER_SECOND, fw), nw)),
        });
    ctx.log(
      `  quiet hub by both windows ($ per million; rows -c normalizeWindowSeconds, columns -c foldWindowSeconds ${QUIET_WINDOW_SWEEP.join(' / ')} s):`,
    );
    for (const nw of QUIET_NORMALIZE_WINDOW_SWEEP)
      ctx.log(
        `    normalize ${String(nw).padStart(2)} s: ${grid
          .filter((g) => g.normalizeWindowSeconds === nw)
          .map((g) => `$${g.usd.toFixed(2)}`)
          .join('  ')}`,
      );
    const quietGoalAt = [...grid]
      .filter((g) => g.usd <= QUIET_GOAL_PER_MILLION)
      .sort((a, b) => a.trailSeconds - b.trailSeconds || a.usd - b.usd)[0];
    ctx.log(
      quietGoalAt
        ? `  quiet hub goal $${QUIET_GOAL_PER_MILLION.toFixed(2)}: first met with -c normalizeWindowSeconds=${quietGoalAt.normalizeWindowSeconds} -c foldWindowSeconds=${quietGoalAt.foldWindowSeconds} ($${quietGoalAt.usd.toFixed(2)}; stock and KPIs trail webhooks by up to about ${quietGoalAt.trailSeconds} s on a quiet hub)`
        : `  quiet hub goal $${QUIET_GOAL_PER_MILLION.toFixed(2)}: not met by any priced pair of windows (cheapest $${Math.min(...grid.map((g) => g.usd)).toFixed(2)})`,
    );
    const cheapest = [...grid].sort((a, b) => a.usd - b.usd)[0]!;
    const cheapestLines = quietLines(
      await foldAt(QUIET_DELIVERIES_PER_SECOND, cheapest.foldWindowSeconds),
      cheapest.normalizeWindowSeconds,
    );
    if (!quietGoalAt)
      ctx.log(
        `  the quiet-hub goal is missed by $${(cheapest.usd - QUIET_GOAL_PER_MILLION).toFixed(4)} at the cheapest windows (${cheapest.normalizeWindowSeconds} s + ${cheapest.foldWindowSeconds} s); its lines, largest first: ${cheapestLines
          .filter((l) => l.usd > 0.01)
          .sort((a, b) => b.usd - a.usd)
          .map((l) => `${l.item} $${l.usd.toFixed(3)}`)
          .join(', ')}`,
      );

    // --- the fixed monthly cost of an idle stack, from the synthesized prod template
    const idle = {
      full: idleCost(synthHubTemplate({ stage: 'prod' })),
      lean: idleCost(synthHubTemplate({ stage: 'prod', context: { lean: true } })),
      dashboard: idleCost(synthHubTemplate({ stage: 'prod', context: { dashboard: true } })),
    };
    const iw = Math.max(...idle.full.lines.map((l) => l.item.length));
    for (const [name, ic] of Object.entries(idle)) {
      ctx.log(
        `  idle stack, per month (${IDLE_ASSUMPTIONS.connections} connections, prod template${name === 'full' ? '' : `, -c ${name}=true`}):`,
      );
      for (const l of ic.lines)
        ctx.log(
          `    ${l.item.padEnd(iw)} ${String(l.count).padStart(3)}  $${l.usd.toFixed(2).padStart(5)}  ${l.arithmetic}`,
        );
      ctx.log(
        `    ${'TOTAL per month'.padEnd(iw)}      $${ic.total.toFixed(2).padStart(5)}  goal $${IDLE_GOAL_PER_MONTH.toFixed(2)} → ${ic.total <= IDLE_GOAL_PER_MONTH ? 'met' : 'NOT met'}`,
      );
    }

    // --- a merchant's month: the variable cost at its own arrival rate, plus the idle stack's
    const months: Record<
      string,
      {
        perDay: number;
        perSecond: number;
        foldBatch: number;
        perMillion: number;
        variable: number;
        fixed: number;
        fixedLean: number;
        total: number;
        totalLean: number;
      }
    > = {};
    for (const [name, perDay] of Object.entries(MERCHANT_DAYS)) {
      const perSecond = perDay / 86_400;
      const f = await foldAt(perSecond, FOLD_WINDOW_SECONDS);
      const perMillion = sumOf(linesAt(round(perSecond, 4), f));
      const variable = round((perMillion * perDay * DAYS_PER_MONTH) / M, 2);
      months[name] = {
        perDay,
        perSecond: round(perSecond, 4),
        foldBatch: f.batchSize,
        perMillion,
        variable,
        fixed: idle.full.total,
        fixedLean: idle.lean.total,
        total: round(variable + idle.full.total, 2),
        totalLean: round(variable + idle.lean.total, 2),
      };
      ctx.log(
        `  ${name} merchant (${perDay.toLocaleString('en-US')} webhooks a day = ${round(perSecond, 3)}/s, ${IDLE_ASSUMPTIONS.connections} connections; fold batches of ${f.batchSize}): $${perMillion.toFixed(2)}/M at that rate × ${round((perDay * DAYS_PER_MONTH) / M, 3)} M a month = $${variable.toFixed(2)} + idle stack $${idle.full.total.toFixed(2)} = $${months[name]!.total.toFixed(2)} a month ($${months[name]!.totalLean.toFixed(2)} lean)`,
      );
    }
    ctx.log(
      `  hosted gateways for comparison: $${GATEWAY_PRICES_PER_MILLION.low}–$${GATEWAY_PRICES_PER_MILLION.high} per million`,
    );

    return {
      figures: {
        orders: mix.orders.length,
        deliveries: costs.length,
        seed: mix.seed,
        prices: PRICES,
        allowances: {
          ...ALLOWANCES,
          cpuShare: {
            ingest: round(ingestCpu, 3),
            normalize: round(normCpu, 3),
            fold: round(ALLOWANCES.cpuShare(set.foldMemoryMb), 3),
          },
        },
        clientCpu: client,
        amazonShareOfDeliveries: round(amazonShare, 4),
        deployed: set,
        lines,
        totalPerMillion: total,
        totalPerMillionWithoutGsi: round(total - (lines.find((l) => l.item === 'DynamoDB GSI byUpdated')?.usd ?? 0), 4),
        quietHubTotalPerMillion: quietTotal,
        quietHubLines: quiet,
        quietHubByFoldWindowSeconds: sweep,
        quietHubByWindows: grid,
        quietHubGoalFirstMetAt: quietGoalAt ?? null,
        quietHubCheapestWindows: { ...cheapest, lines: cheapestLines },
        normalizeWriteUnitsPerDeliveryByItemType: Object.fromEntries(
          Object.entries(normByType).map(([k, v]) => [k, round(v / costs.length)]),
        ),
        idleStackPerMonth: {
          assumptions: IDLE_ASSUMPTIONS,
          full: idle.full,
          lean: idle.lean,
          dashboard: idle.dashboard,
        },
        merchantMonths: months,
        normalizeBilledMsPerDelivery: {
          concurrentRecords: round(normMsPerDelivery, 3),
          sequentialRecords: round(billedMsSequential / costs.length, 3),
        },
        goalPerMillion: COST_GOAL_PER_MILLION,
        meetsGoal: total <= COST_GOAL_PER_MILLION,
        dynamoShare,
        gateways: GATEWAY_PRICES_PER_MILLION,
      },
      headline: [
        {
          figure: 'Cost per million webhooks (busy hub, full batches)',
          value: `$${total.toFixed(2)}`,
          target: `≤ $${COST_GOAL_PER_MILLION.toFixed(2)}`,
          meets: total <= COST_GOAL_PER_MILLION,
          measuredOn: mixLabel(mix),
        },
        {
          figure: 'Cost per million webhooks (quiet hub, one delivery a second)',
          value: `$${quietTotal.toFixed(2)}`,
          measuredOn: mixLabel(mix),
        },
        {
          figure: 'Cost per million webhooks (quiet hub) by the fold window (-c foldWindowSeconds)',
          value: Object.entries(sweep)
            .map(([k, v]) => `${k} s $${v.toFixed(2)}`)
            .join(' · '),
          measuredOn: mixLabel(mix),
        },
        {
          figure:
            'Cost per million webhooks (quiet hub), cheapest windows within the freshness: -c normalizeWindowSeconds + -c foldWindowSeconds',
          value: quietGoalAt
            ? `$${quietGoalAt.usd.toFixed(2)} at ${quietGoalAt.normalizeWindowSeconds} s + ${quietGoalAt.foldWindowSeconds} s (stock and KPIs trail webhooks by up to ~${quietGoalAt.trailSeconds} s); defaults 1 s + ${FOLD_WINDOW_SECONDS} s: $${quietTotal.toFixed(2)}`
            : `not met (cheapest $${Math.min(...grid.map((g) => g.usd)).toFixed(2)})`,
          target: `≤ $${QUIET_GOAL_PER_MILLION.toFixed(2)}`,
          meets: quietGoalAt !== undefined,
          measuredOn: mixLabel(mix),
        },
        {
          figure: `Idle stack, per month (${IDLE_ASSUMPTIONS.connections} connections)`,
          value: `$${idle.full.total.toFixed(2)} ($${idle.lean.total.toFixed(2)} with -c lean=true, $${idle.dashboard.total.toFixed(2)} with -c dashboard=true)`,
          target: `≤ $${IDLE_GOAL_PER_MONTH.toFixed(2)} (default stack)`,
          meets: idle.full.total <= IDLE_GOAL_PER_MONTH,
          measuredOn: 'synthesized prod template, list prices; a 1 GB table',
        },
        ...Object.entries(months).map(([name, m]) => ({
          figure: `A ${name} merchant's month (${m.perDay.toLocaleString('en-US')} webhooks a day, ${IDLE_ASSUMPTIONS.connections} connections)`,
          value: `$${m.total.toFixed(2)} ($${m.variable.toFixed(2)} traffic at $${m.perMillion.toFixed(2)}/M + $${m.fixed.toFixed(2)} idle stack; $${m.totalLean.toFixed(2)} lean)`,
          measuredOn: mixLabel(mix),
        })),
        {
          figure: 'Hosted webhook gateways (published)',
          value: `$${GATEWAY_PRICES_PER_MILLION.low}–$${GATEWAY_PRICES_PER_MILLION.high}`,
          measuredOn: 'published price lists',
        },
      ],
    };
  },
};
