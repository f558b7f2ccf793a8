import { measureClientCpu } from './client-cpu.ts';
import { ALLOWANCES, deployedSettings, foldBatchMs, foldCpuMs, foldRequestRounds, normalizeCpuMs } from './cost.ts';
import { measureNormalize } from './normalize-cost.ts';
import { mixLabel, percentile, round, type BenchModule, type DeliveryCost } from './lib.ts';

export const PEAK_RATE = 1700;
/** one partition's write throughput limit (DynamoDB developer guide, partitions) */
export const PARTITION_WU_PER_SECOND = 1000;
export const MAX_OLDEST_AGE_S = 60;
/** how long the simulated peak lasts (a flash-sale hour's worst quarter) */
export const PEAK_SECONDS = 15 * 60;

interface QueueRun {
  concurrency: number;
  maxDepth: number;
  maxOldestAgeS: number;
  drainedAtS: number;
  samples: { t: number; depth: number; oldestAgeS: number }[];
}

/**
 * A FIFO fed at `rate` for `burstS` seconds, served by `concurrency` normalize invocations that each
 * take up to `batch` messages and hold them for `batchMs(n)`. Arrivals are uniform, so the oldest
 * waiting message is the (served+1)-th arrival.
 */
export function simulateQueue(opts: {
  rate: number;
  burstS: number;
  concurrency: number;
  batch: number;
  batchMs: (n: number) => number;
  sampleEveryS?: number;
}): QueueRun {
  const dt = 0.05;
  const total = Math.round(opts.rate * opts.burstS);
  const busyUntil = new Array<number>(opts.concurrency).fill(0);
  let taken = 0;
  let maxDepth = 0;
  let maxOldest = 0;
  const samples: QueueRun['samples'] = [];
  const every = opts.sampleEveryS ?? 30;
  let t = 0;
  for (; t < opts.burstS + 3600; t += dt) {
    const arrived = Math.min(total, Math.floor(t * opts.rate));
    for (let i = 0; i < busyUntil.length; i++) {
      if (busyUntil[i]! <= t && arrived > taken) {
        const n = Math.min(opts.batch, arrived - taken);
        taken += n;
        busyUntil[i] = t + opts.batchMs(n) / 1000;
      }
    }
    const depth = arrived - taken;
    const oldest = depth > 0 ? t - taken / opts.rate : 0;
    maxDepth = Math.max(maxDepth, depth);
    maxOldest = Math.max(maxOldest, oldest);
    if (Math.abs(t / every - Math.round(t / every)) < dt / (2 * every))
      samples.push({ t: round(t, 1), depth, oldestAgeS: round(oldest, 1) });
    if (taken >= total && t > opts.burstS) break;
  }
  return {
    concurrency: opts.concurrency,
    maxDepth,
    maxOldestAgeS: round(maxOldest, 2),
    drainedAtS: round(t, 1),
    samples,
  };
}

/**
 * normalize's service time at `memoryMb`: CPU per delivery (in process on the memory table plus the
 * DynamoDB client's CPU per request, bench/client-cpu.ts) at that memory's CPU share, and a batch
 * of n with its records processed concurrently (CPU adds up, the longest chain of round trips).
 */
export function normalizeService(costs: DeliveryCost[], memoryMb: number, clientRequestMs: number) {
  const meanCpuMs =
    (costs.reduce((n, c) => n + normalizeCpuMs(c, clientRequestMs), 0) / costs.length) * ALLOWANCES.cpuShare(memoryMb);
  const chains = costs.map((c) => c.readRequests + c.writeRequests).sort((a, b) => a - b);
  const longestChain = percentile(chains, 99.9);
  const meanRequests = chains.reduce((a, b) => a + b, 0) / chains.length;
  const batchMs = (n: number) => n * meanCpuMs + longestChain * ALLOWANCES.dynamoRoundTripMs;
  return { meanCpuMs, longestChain, meanRequests, batchMs };
}

/**
 * The smallest normalize concurrency that keeps the oldest message under MAX_OLDEST_AGE_S through
 * a PEAK_SECONDS peak at PEAK_RATE (monotone in the concurrency: a binary search).
 */
export function concurrencyForPeak(batch: number, batchMs: (n: number) => number): number {
  let lo = 1;
  let hi = 1000;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (
      simulateQueue({ rate: PEAK_RATE, burstS: PEAK_SECONDS, concurrency: mid, batch, batchMs }).maxOldestAgeS <
      MAX_OLDEST_AGE_S
    )
      hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Peak on paper: the mix fed at 1,700 deliveries/s of simulated time through the memory table
 * (the write records of the normalize measurement, in the same arrival order), per partition key
 * per simulated second; then the queue in front of normalize at that rate.
 */
export const peakBench: BenchModule = {
  name: 'peak',
  title: `Peak on paper: ${PEAK_RATE} deliveries/s, simulated`,
  async run(ctx) {
    const { mix, costs, fold } = await measureNormalize(ctx);
    const client = await measureClientCpu(ctx);
    const perSecond = new Map<number, Map<string, number>>();
    costs.forEach((c, i) => {
      const second = Math.floor(i / PEAK_RATE);
      let m = perSecond.get(second);
      if (!m) perSecond.set(second, (m = new Map()));
      for (const w of c.writes) m.set(w.pk, (m.get(w.pk) ?? 0) + w.units);
    });
    let hottest = { pk: '', wu: 0, second: 0 };
    const hotByType: Record<string, number> = {};
    for (const [second, m] of perSecond) {
      // a partial last second is scaled to a full one
      const scale = Math.min(1, (costs.length - second * PEAK_RATE) / PEAK_RATE);
      for (const [pk, wu] of m) {
        const rate = wu / scale;
        if (rate > hottest.wu) hottest = { pk, wu: round(rate, 1), second };
        const type = pk.split('#')[0]!;
        hotByType[type] = Math.max(hotByType[type] ?? 0, round(rate, 1));
      }
    }
    // Balances and KPI counters are written by the fold, once per item per stream batch, and ledger
    // rows once per movement: a batch holds `batchSize` order changes, which arrive in
    // batchSize / changesPerSecond seconds — the fold's busiest partition per batch, spread over
    // that time (its writes take at least that long only if the fold keeps up), plus what
    // normalize writes there in its busiest second
    const changesPerSecond = (PEAK_RATE * fold.busy.records) / costs.length;
    const foldBatchesPerSecondPerShard = Math.max(1, Math.ceil(changesPerSecond / fold.busy.batchSize));
    const foldRate = round((fold.busy.hottestPerBatch.wu * changesPerSecond) / fold.busy.batchSize, 1);
    let normalizeOnFoldHot = 0;
    for (const [second, m] of perSecond) {
      const scale = Math.min(1, (costs.length - second * PEAK_RATE) / PEAK_RATE);
      normalizeOnFoldHot = Math.max(normalizeOnFoldHot, (m.get(fold.busy.hottestPerBatch.pk) ?? 0) / scale);
    }
    const foldHot = { pk: fold.busy.hottestPerBatch.pk, wu: round(foldRate + normalizeOnFoldHot, 1), second: -1 };
    if (foldHot.wu > hottest.wu) hottest = foldHot;
    const foldType = foldHot.pk.split('#')[0]!;
    hotByType[foldType] = Math.max(hotByType[foldType] ?? 0, foldHot.wu);
    const withinLimit = hottest.wu < PARTITION_WU_PER_SECOND;
    // does one fold invocation per stream shard keep up? a batch must take less time to fold than
    // the changes in it took to arrive (a busy table has several shards: one is the worst case)
    const foldMs = foldBatchMs(fold.busy, deployedSettings().foldMemoryMb, client.dynamoRequestMs);
    const batchSpanMs = (fold.busy.batchSize / changesPerSecond) * 1000;
    const foldKeepsUp = foldMs < batchSpanMs;

    // --- the queue in front of normalize
    const set = deployedSettings();
    const cpu = ALLOWANCES.cpuShare(set.normalizeMemoryMb);
    const { meanCpuMs, longestChain, meanRequests, batchMs } = normalizeService(
      costs,
      set.normalizeMemoryMb,
      client.dynamoRequestMs,
    );
    const perDeliveryMs = meanCpuMs + meanRequests * ALLOWANCES.dynamoRoundTripMs;
    const steadyConcurrency = Math.ceil((PEAK_RATE * batchMs(set.normalizeBatchSize)) / set.normalizeBatchSize / 1000);
    const configured = set.normalizeMaxConcurrency;
    const atConfigured = simulateQueue({
      rate: PEAK_RATE,
      burstS: PEAK_SECONDS,
      concurrency: configured,
      batch: set.normalizeBatchSize,
      batchMs,
      sampleEveryS: 150,
    });
    const smallest = (ms: (n: number) => number) => concurrencyForPeak(set.normalizeBatchSize, ms);
    const needed = smallest(batchMs);
    // records one at a time (no overlap of DynamoDB round trips): the pessimistic bound
    const seqBatchMs = (n: number) => n * perDeliveryMs;
    const neededSeq = smallest(seqBatchMs);
    const oneInvoker = simulateQueue({
      rate: PEAK_RATE,
      burstS: PEAK_SECONDS,
      concurrency: 1,
      batch: set.normalizeBatchSize,
      batchMs: seqBatchMs,
      sampleEveryS: 60,
    });

    ctx.log(
      `measured on ${mixLabel(mix)}, replayed at ${PEAK_RATE}/s of simulated time (${(costs.length / PEAK_RATE).toFixed(1)} s); write units per partition key per second, transactions counted twice`,
    );
    ctx.log(
      `fold: ${round(changesPerSecond, 0)} order changes/s → batches of ${fold.busy.batchSize} (${round(fold.busy.batchSize / changesPerSecond, 1)} s of changes each) → a balance or counter is written about once a batch per stream shard; busiest partition in one batch ${fold.busy.hottestPerBatch.pk} ${fold.busy.hottestPerBatch.wu} WU (every item in it the batch writes) → ${foldRate} WU/s, + ${round(normalizeOnFoldHot, 1)} WU/s from normalize`,
    );
    ctx.log(
      `fold throughput (one stream shard takes every change): a batch of ${fold.busy.batchSize} takes ≈ ${round(foldMs, 0)} ms at ${deployedSettings().foldMemoryMb} MB (CPU ${round(foldCpuMs(fold.busy, client.dynamoRequestMs), 0)} ms on a full core here, ${round(fold.busy.ms / Math.max(1, fold.busy.batches), 0)} ms in process + the DynamoDB client's ${client.dynamoRequestMs} ms a request, × ${round(ALLOWANCES.cpuShare(deployedSettings().foldMemoryMb), 2)} + ${foldRequestRounds(fold.busy)} request rounds × ${ALLOWANCES.dynamoRoundTripMs} ms) against the ${round(batchSpanMs, 0)} ms its changes take to arrive → ${foldKeepsUp ? 'keeps up' : 'FALLS BEHIND'}`,
    );
    ctx.log(
      `hottest partition: ${hottest.pk} at ${hottest.wu} WU/s (limit ${PARTITION_WU_PER_SECOND}: ${withinLimit ? 'below' : 'ABOVE'}); hottest by item type: ${Object.entries(
        hotByType,
      )
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    ctx.log(
      `normalize service time: ${round(meanCpuMs, 3)} ms CPU per delivery (in process + ${client.dynamoRequestMs} ms DynamoDB client CPU a request, ×${round(cpu, 2)} for ${set.normalizeMemoryMb} MB) + ${ALLOWANCES.dynamoRoundTripMs} ms per DynamoDB request (mean ${round(meanRequests, 2)}, longest chain p99.9 ${longestChain}); batch of ${set.normalizeBatchSize} ≈ ${round(batchMs(set.normalizeBatchSize), 1)} ms with records in parallel`,
    );
    ctx.log(
      `a ${PEAK_SECONDS / 60}-minute peak: steady state needs ${steadyConcurrency} concurrent normalize invocations; oldest message < ${MAX_OLDEST_AGE_S} s needs ${needed} (records concurrently, as Powertools BatchProcessor does) or ${neededSeq} (records one at a time)`,
    );
    ctx.log(
      `at the stack's default maxConcurrency ${configured}: max depth ${atConfigured.maxDepth}, oldest ${atConfigured.maxOldestAgeS} s`,
    );
    ctx.log(
      `  queue depth over time at ${configured}: ${atConfigured.samples
        .slice(0, 12)
        .map((s) => `${s.t}s ${s.depth}`)
        .join(', ')}; drained at ${atConfigured.drainedAtS} s`,
    );
    ctx.log(
      `one invocation, records one at a time: oldest ${oneInvoker.maxOldestAgeS} s, drained at ${oneInvoker.drainedAtS} s`,
    );
    return {
      figures: {
        orders: mix.orders.length,
        deliveries: costs.length,
        seed: mix.seed,
        rate: PEAK_RATE,
        simulatedSeconds: round(costs.length / PEAK_RATE, 2),
        hottestPartition: { ...hottest, limit: PARTITION_WU_PER_SECOND, belowLimit: withinLimit },
        hottestWuPerSecondByItemType: hotByType,
        fold: {
          orderChangesPerSecond: round(changesPerSecond, 1),
          batchesPerSecondPerStreamShard: foldBatchesPerSecondPerShard,
          batchSize: fold.busy.batchSize,
          hottestPerBatch: fold.busy.hottestPerBatch,
          hottestWuPerSecond: foldRate,
          batchMs: round(foldMs, 0),
          batchSpanMs: round(batchSpanMs, 0),
          keepsUp: foldKeepsUp,
        },
        queue: {
          peakSeconds: PEAK_SECONDS,
          serviceTime: {
            cpuMsPerDelivery: round(meanCpuMs, 4),
            cpuShareFactor: round(cpu, 3),
            dynamoRoundTripMs: ALLOWANCES.dynamoRoundTripMs,
            meanRequests: round(meanRequests, 3),
            longestChainP999: longestChain,
            batchMs: round(batchMs(set.normalizeBatchSize), 2),
            perDeliveryMsSequential: round(perDeliveryMs, 3),
          },
          steadyStateConcurrency: steadyConcurrency,
          concurrencyForOldestUnder60s: needed,
          concurrencyForOldestUnder60sSequentialRecords: neededSeq,
          atDefaultMaxConcurrency: {
            concurrency: configured,
            maxDepth: atConfigured.maxDepth,
            maxOldestAgeS: atConfigured.maxOldestAgeS,
            drainedAtS: atConfigured.drainedAtS,
            depthOverTime: atConfigured.samples,
          },
          oneInvocationSequential: {
            maxDepth: oneInvoker.maxDepth,
            maxOldestAgeS: oneInvoker.maxOldestAgeS,
            drainedAtS: oneInvoker.drainedAtS,
          },
        },
      },
      headline: [
        {
          figure: `Fold at ${PEAK_RATE} deliveries/s: batch time vs the time its changes take to arrive (one stream shard)`,
          value: `${round(foldMs / 1000, 2)} s vs ${round(batchSpanMs / 1000, 2)} s (batches of ${fold.busy.batchSize}, ${deployedSettings().foldMemoryMb} MB)`,
          target: 'keeps up',
          meets: foldKeepsUp,
          measuredOn: mixLabel(mix),
        },
        {
          figure: `Hottest partition at ${PEAK_RATE} deliveries/s (simulated)`,
          value: `${hottest.wu} WU/s (${hottest.pk.split('#')[0]})`,
          target: `< ${PARTITION_WU_PER_SECOND}`,
          meets: withinLimit,
          measuredOn: mixLabel(mix),
        },
        {
          figure: `Normalize concurrency for oldest message < ${MAX_OLDEST_AGE_S} s at ${PEAK_RATE}/s`,
          value: `${needed} (records concurrent) / ${neededSeq} (sequential) at ${set.normalizeMemoryMb} MB; the default cap is ${configured}`,
          measuredOn: `${PEAK_SECONDS / 60}-min simulated peak`,
        },
      ],
    };
  },
};
