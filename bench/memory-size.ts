import { measureClientCpu } from './client-cpu.ts';
import { ALLOWANCES, deployedSettings, foldBatchMs, normalizeBilledMsPerDelivery } from './cost.ts';
import { measureIngest } from './ingest.ts';
import { measureNormalize } from './normalize-cost.ts';
import { concurrencyForPeak, normalizeService, PEAK_RATE } from './peak.ts';
import { PRICES } from './prices.ts';
import { mixLabel, round, table, type BenchModule } from './lib.ts';

/** Lambda memory sizes the bench prices each function at (128 MB is Lambda's smallest; 1,769 MB one vCPU). */
export const MEMORY_CANDIDATES = [128, 192, 256, 512, 1024, 1769] as const;

/**
 * What ingest, normalize and the fold would need and cost at each candidate memory size, on the same
 * measurements as the cost and peak benches (CPU share 1769/MB; the clients' CPU per request): the
 * figures the stack's INGEST_MEMORY_MB, NORMALIZE_MEMORY_MB and FOLD_MEMORY_MB are chosen by
 * (docs/benchmarks.md, memory per function).
 */
export const memoryBench: BenchModule = {
  name: 'memory',
  title: 'Lambda memory per function: need and cost at each size',
  async run(ctx) {
    const { mix, costs, fold } = await measureNormalize(ctx);
    const ingest = await measureIngest(ctx);
    const client = await measureClientCpu(ctx);
    const set = deployedSettings();
    const M = 1_000_000;
    const usd = (mb: number, ms: number) => (mb / 1024) * (ms / 1000) * PRICES.lambda.arm64PerGbSecond * M;
    const mark = (mb: number, deployed: number) => (mb === deployed ? `${mb} ◀` : String(mb));

    // ingest: one invocation per webhook
    const ingestRows = MEMORY_CANDIDATES.map((mb) => {
      const share = ALLOWANCES.cpuShare(mb);
      const billedMs = Math.ceil((ingest.p50Ms + client.sqsSendMs) * share + ALLOWANCES.sqsSendMs);
      return {
        memoryMb: mb,
        cpuShare: round(share, 2),
        billedMs,
        ackCpuP99Ms: round((ingest.p99Ms + client.sqsSendMs) * share, 2),
        usdPerMillion: round(usd(mb, billedMs), 4),
      };
    });
    // normalize: busy (full batches), quiet (batches of one), and the concurrency a peak needs
    const normalizeRows = MEMORY_CANDIDATES.map((mb) => {
      const busyMs = normalizeBilledMsPerDelivery(costs, set.normalizeBatchSize, mb, client.dynamoRequestMs);
      const quietMs = normalizeBilledMsPerDelivery(costs, 1, mb, client.dynamoRequestMs);
      const service = normalizeService(costs, mb, client.dynamoRequestMs);
      return {
        memoryMb: mb,
        cpuMsPerDelivery: round(service.meanCpuMs, 2),
        busyUsdPerMillion: round(usd(mb, busyMs), 4),
        quietUsdPerMillion: round(usd(mb, quietMs), 4),
        peakConcurrency: concurrencyForPeak(set.normalizeBatchSize, service.batchMs),
      };
    });
    // fold: a busy batch against the time its changes take to arrive at the peak, and what it costs
    const changesPerSecond = (PEAK_RATE * fold.busy.records) / costs.length;
    const spanMs = (fold.busy.batchSize / changesPerSecond) * 1000;
    const foldRows = MEMORY_CANDIDATES.map((mb) => {
      const busyMs = foldBatchMs(fold.busy, mb, client.dynamoRequestMs);
      const quietMs = foldBatchMs(fold.quiet, mb, client.dynamoRequestMs);
      return {
        memoryMb: mb,
        busyBatchMs: round(busyMs, 0),
        keepsUp: busyMs < spanMs,
        busyUsdPerMillion: round((usd(mb, busyMs) * fold.busy.batches) / costs.length, 4),
        quietUsdPerMillion: round((usd(mb, quietMs) * fold.quiet.batches) / costs.length, 4),
      };
    });

    ctx.log(
      `measured on ${mixLabel(mix)} and ${ingest.requests.toLocaleString('en-US')} ingest requests; CPU share 1769/MB; client CPU per request: SendMessage ${client.sqsSendMs} ms, DynamoDB ${client.dynamoRequestMs} ms; ◀ the stack's choice`,
    );
    ctx.log(`ingest (one invocation per webhook; duration $ per million webhooks):`);
    ctx.log(
      table([
        ['MB', 'CPU share', 'billed ms', 'ack CPU p99 ms', '$/M'],
        ...ingestRows.map((r) => [
          mark(r.memoryMb, set.ingestMemoryMb),
          `×${r.cpuShare}`,
          String(r.billedMs),
          String(r.ackCpuP99Ms),
          r.usdPerMillion.toFixed(4),
        ]),
      ]),
    );
    ctx.log(
      `normalize (duration $ per million deliveries; busy: batches of ${set.normalizeBatchSize}, quiet: batches of one; concurrency for the oldest message < 60 s through a ${PEAK_RATE}/s peak, default cap ${set.normalizeMaxConcurrency}):`,
    );
    ctx.log(
      table([
        ['MB', 'CPU ms/delivery', 'busy $/M', 'quiet $/M', 'peak concurrency'],
        ...normalizeRows.map((r) => [
          mark(r.memoryMb, set.normalizeMemoryMb),
          String(r.cpuMsPerDelivery),
          r.busyUsdPerMillion.toFixed(4),
          r.quietUsdPerMillion.toFixed(4),
          String(r.peakConcurrency),
        ]),
      ]),
    );
    ctx.log(
      `fold (a busy batch of ${fold.busy.batchSize} order changes arrives in ${round(spanMs, 0)} ms at ${PEAK_RATE} deliveries/s on one stream shard; duration $ per million deliveries, quiet: batches of ${fold.quiet.batchSize}):`,
    );
    ctx.log(
      table([
        ['MB', 'busy batch ms', 'keeps up', 'busy $/M', 'quiet $/M'],
        ...foldRows.map((r) => [
          mark(r.memoryMb, set.foldMemoryMb),
          String(r.busyBatchMs),
          r.keepsUp ? 'yes' : 'NO',
          r.busyUsdPerMillion.toFixed(4),
          r.quietUsdPerMillion.toFixed(4),
        ]),
      ]),
    );
    return {
      figures: {
        candidates: MEMORY_CANDIDATES,
        deployed: {
          ingestMemoryMb: set.ingestMemoryMb,
          normalizeMemoryMb: set.normalizeMemoryMb,
          foldMemoryMb: set.foldMemoryMb,
        },
        clientCpu: client,
        ingest: ingestRows,
        normalize: normalizeRows,
        fold: { batchSpanMs: round(spanMs, 0), rows: foldRows },
      },
      headline: [
        {
          figure: 'Lambda memory: ingest / normalize / fold',
          value: `${set.ingestMemoryMb} / ${set.normalizeMemoryMb} / ${set.foldMemoryMb} MB`,
          measuredOn: `${mixLabel(mix)}; the memory bench's table per size`,
        },
      ],
    };
  },
};
