import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHandler } from '#functions/kpi/handler.ts';
import type { OrderCancelled, OrderUpserted, RefundRecorded } from '#shared/domain/events.ts';
import { putApiKey } from '#shared/aws/api-keys.ts';
import { putChannel } from '#shared/aws/channels.ts';
import { kpiRuntime } from '#shared/aws/kpi-repo.ts';
import { applyKpiFold, resolveRollupZone } from '#shared/stream/fold-apply.ts';
import type { StreamChange } from '#shared/stream/watermarks.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { keys } from '#shared/table/keys.ts';
import {
  mergeCancel,
  mergeRefund,
  mergeUpsert,
  upsertState,
  type OrderItemBody,
} from '#shared/normalize/order-state.ts';
import type { MotoServer } from '#infra/local/moto.ts';
import { provisionHubTable } from '#infra/local/provision.ts';
import { MEMORY_SHARD, foldMemory } from './memory-fold.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { Rng } from './prng.ts';
import {
  apiEvent,
  batchPut,
  countRequests,
  envFor,
  invoker,
  localDoc,
  motoLatency,
  REGION,
  startPartitionedMoto,
  statsOf,
  timeCalls,
  type Samples,
} from './stock-read.ts';
import { round, type BenchModule } from './lib.ts';
import { systemClock } from '#shared/domain/clock.ts';

/**
 * KPI reads: one `GET /v1/kpis/channels` over 365 days and every channel, after 10k and
 * after 100k orders, through the real kpi handler (in-process, payload v2, real SDK client) on moto.
 *
 * Loading 100k orders through moto one delivery at a time would take hours, so the counters are
 * made by the hub's own code on the in-memory table: a seeded order stream (5 channels, 365 days;
 * create, ship or cancel, some refunds) as canonical events through `applyEvent` on
 * shared/table/memory-table.ts and its stream folded by the fold function's code (hour counters, day and
 * month rollups in UTC, the rollup zone here), a snapshot of the KPI items after the first 10k
 * orders and again after 100k, each bulk-loaded into its own moto table with BatchWriteItem.
 */

/** The zone the benchmark's fold cuts rollups in, and the zone of its KPI request. */
const ROLLUP_ZONE = 'UTC';

function isKpiItem(it: Record<string, unknown>): boolean {
  return String(it.pk).startsWith('KPI');
}

export const KPI_YEAR = 2025;
const YEAR_START = Date.UTC(KPI_YEAR, 0, 1);
const KEY = 'bench-kpi-read-key';
export const KPI_RATIO_TARGET = 1.3;

export const KPI_CHANNELS = [
  { channel: 'shop-us', share: 0.5, currency: 'USD', priced: true },
  { channel: 'woo-eu', share: 0.2, currency: 'EUR', priced: true },
  { channel: 'walmart', share: 0.1, currency: 'USD', priced: false },
  { channel: 'amazon', share: 0.1, currency: 'USD', priced: false },
  { channel: 'partner-pl', share: 0.1, currency: 'PLN', priced: true },
] as const;
const LOCATIONS = ['WH-A', 'WH-B', 'WH-C', 'WH-D'];
const SKUS = 500;

type OrderEvent = OrderUpserted | OrderCancelled | RefundRecorded;

const iso = (ms: number) => new Date(ms).toISOString();
const money = (minor: number, currency: string) => ({ amount: (minor / 100).toFixed(2), currency });

/**
 * One order's events, in the order a sender would send them: created (paid); then cancelled (8%)
 * or shipped; 5% of shipped orders refunded later (half of those restock). Created uniformly over
 * the 365 days of KPI_YEAR, with a busier evening; same seed → same orders.
 */
export function orderEvents(rng: Rng, i: number): OrderEvent[] {
  const ch = KPI_CHANNELS[rng.weighted(KPI_CHANNELS.map((c) => c.share))]!;
  const day = rng.int(0, 364);
  const hour = rng.chance(0.4) ? rng.int(17, 22) : rng.int(0, 23);
  const created = YEAR_START + day * 86_400_000 + hour * 3_600_000 + rng.int(0, 3_599_999);
  const orderId = `B${String(i + 1).padStart(7, '0')}`;
  const location = rng.pick(LOCATIONS);
  const lines = Array.from({ length: rng.chance(0.25) ? rng.int(2, 3) : 1 }, (_, l) => {
    const unit = rng.int(500, 9_999);
    return {
      lineId: String(l + 1),
      sku: `SKU-${String(rng.int(1, SKUS)).padStart(4, '0')}`,
      quantity: rng.int(1, 3),
      ...(ch.priced ? { unitPrice: money(unit, ch.currency) } : {}),
      locationId: location,
    };
  });
  const totalMinor = lines.reduce(
    (n, l) => n + (l.unitPrice ? Math.round(Number(l.unitPrice.amount) * 100) * l.quantity : 0),
    0,
  );
  const base = { channel: ch.channel, source: 'bench', orderId };
  const upsert = (status: OrderUpserted['status'], at: number, extra: Partial<OrderUpserted> = {}): OrderUpserted => ({
    ...base,
    type: 'OrderUpserted',
    deliveryId: `${orderId}-${status}`,
    occurredAt: iso(at),
    status,
    rawStatus: { status },
    createdAt: iso(created),
    version: { at: iso(at) },
    ...(ch.priced ? { total: money(totalMinor, ch.currency) } : {}),
    lines,
    locationId: location,
    ...extra,
  });
  const out: OrderEvent[] = [upsert('paid', created)];
  if (rng.chance(0.08)) {
    const at = created + rng.int(60_000, 6 * 3_600_000);
    out.push({
      ...base,
      type: 'OrderCancelled',
      deliveryId: `${orderId}-cancel`,
      occurredAt: iso(at),
      cancelledAt: iso(at),
      reason: 'customer',
    });
    return out;
  }
  const shipped = created + rng.int(2, 72) * 3_600_000;
  out.push(upsert('fulfilled', shipped, { fulfilledAt: iso(shipped) }));
  if (rng.chance(0.05)) {
    const at = shipped + rng.int(1, 20) * 86_400_000;
    const l = lines[0]!;
    const restock = rng.chance(0.5);
    out.push({
      ...base,
      type: 'RefundRecorded',
      deliveryId: `${orderId}-refund`,
      occurredAt: iso(at),
      refundId: `${orderId}-r1`,
      processedAt: iso(at),
      ...(l.unitPrice ? { amount: { amount: l.unitPrice.amount, currency: l.unitPrice.currency } } : {}),
      lines: [{ lineId: l.lineId, sku: l.sku, quantity: 1, restock, locationId: location }],
    });
  }
  return out;
}

export interface KpiLoad {
  orders: number;
  events: number;
  kpiItems: Record<string, unknown>[];
}

/** The first `orders` of the stream through applyEvent on the memory table: its KPI items. */
export async function kpiCountersByApply(
  seed: number,
  orders: number,
): Promise<KpiLoad & { ms: number; tableItems: number }> {
  const rng = new Rng(seed ^ 0x6b7069);
  const table = new MemoryTable();
  const t = performance.now();
  let events = 0;
  for (let i = 0; i < orders; i++) {
    for (const e of orderEvents(rng, i)) {
      await applyEvent(table, e, () => new Date(e.occurredAt));
      events++;
    }
  }
  await foldMemory(table, { zone: ROLLUP_ZONE, batchSize: 1000 });
  const kpiItems = table.items().filter(isKpiItem);
  return { orders, events, kpiItems, ms: performance.now() - t, tableItems: table.size };
}

/**
 * The same stream's counters without the normalizer's table: each order's events merged with the
 * normalizer's merge functions, and only the final orders folded (one change per order) — where
 * the applied path folds every intermediate version. What it leaves out is `oversells` (balances).
 */
export async function kpiCountersDirect(seed: number, orders: number): Promise<KpiLoad & { ms: number }> {
  const rng = new Rng(seed ^ 0x6b7069);
  const t = performance.now();
  const changes: StreamChange[] = [];
  let events = 0;
  for (let i = 0; i < orders; i++) {
    const evs = orderEvents(rng, i);
    events += evs.length;
    const first = evs[0]!;
    let body: OrderItemBody = { channel: first.channel, orderId: first.orderId, refunds: {} };
    for (const e of evs) {
      if (e.type === 'OrderUpserted')
        body = mergeUpsert(
          body,
          upsertState(e, () => undefined),
        );
      else if (e.type === 'OrderCancelled') body = mergeCancel(body, e);
      else body = mergeRefund(body, e);
    }
    changes.push({
      seq: String(i + 1),
      newImage: { ...keys.order(body.channel, body.orderId), type: 'order', ...body },
    });
  }
  const table = new MemoryTable();
  const zone = await resolveRollupZone(table, ROLLUP_ZONE);
  for (let i = 0; i < changes.length; i += 1000)
    await applyKpiFold(table, MEMORY_SHARD, changes.slice(i, i + 1000), zone, Date.now());
  return { orders, events, kpiItems: table.items().filter(isKpiItem), ms: performance.now() - t };
}

/** Differences between two sets of KPI items (numbers; a missing attribute is 0; oversells, also an hour's `T<hh>:oversells`, left out). */
export function diffKpiItems(a: Record<string, unknown>[], b: Record<string, unknown>[]): string[] {
  const byKey = (xs: Record<string, unknown>[]) => new Map(xs.map((x) => [`${x.pk}|${x.sk}`, x]));
  const ma = byKey(a);
  const mb = byKey(b);
  const out: string[] = [];
  for (const k of new Set([...ma.keys(), ...mb.keys()])) {
    const x = ma.get(k) ?? {};
    const y = mb.get(k) ?? {};
    for (const f of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (f === 'oversells' || f.endsWith(':oversells') || (typeof x[f] !== 'number' && typeof y[f] !== 'number'))
        continue;
      if (Number(x[f] ?? 0) !== Number(y[f] ?? 0)) out.push(`${k} ${f}: ${String(x[f])} vs ${String(y[f])}`);
    }
  }
  return out;
}

interface KpiAnswer {
  channels: { channel: string; total: { orders: number; unitsSold: number; cancelledOrders: number } }[];
}

export const kpiReadBench: BenchModule = {
  name: 'kpi-read',
  title: 'KPI read over 365 days × all channels, small vs 10× orders (moto)',
  async run(ctx) {
    // The scale the KPI goal names, 10k vs 100k orders: about two minutes here, most of it bulk-loading the
    // large table's ~33k counter items into moto (BENCH_KPI_ORDERS=500,5000 for a quicker look).
    const scale = (process.env.BENCH_KPI_ORDERS ?? (ctx.quick ? '200,2000' : '10000,100000')).split(',').map(Number);
    const [small, large] = [scale[0] ?? 2_000, scale[1] ?? 20_000];
    if (!(small > 0 && large > small))
      throw new Error(`BENCH_KPI_ORDERS must be two increasing order counts, got ${process.env.BENCH_KPI_ORDERS}`);
    const callsEach = ctx.quick ? 2 : 5;

    // the small table through applyEvent itself; the large one computed directly (applyEvent
    // on the memory table runs ~0.25 ms per event here: 100k orders would take ~1 min alone),
    // after checking that the direct computation gives applyEvent's counters on the small one
    const applied = await kpiCountersByApply(ctx.seed, small);
    const direct = await kpiCountersDirect(ctx.seed, large);
    const directSmall = await kpiCountersDirect(ctx.seed, small);
    const mismatch = diffKpiItems(applied.kpiItems, directSmall.kpiItems);
    const lo: KpiLoad = applied;
    const hi: KpiLoad = direct;
    ctx.log(
      `counters: ${small.toLocaleString('en-US')} seeded orders (${lo.events.toLocaleString('en-US')} canonical events) through applyEvent on the memory table in ${round(applied.ms / 1000, 1)} s → ${lo.kpiItems.length.toLocaleString('en-US')} KPI items; ` +
        `${large.toLocaleString('en-US')} orders (${hi.events.toLocaleString('en-US')} events) by folding each final order once in ${round(direct.ms / 1000, 1)} s → ${hi.kpiItems.length.toLocaleString('en-US')} KPI items; ` +
        `direct vs applyEvent on the first ${small.toLocaleString('en-US')}: ${mismatch.length === 0 ? 'identical (oversells aside)' : `${mismatch.length} differences, e.g. ${mismatch.slice(0, 3).join('; ')}`}`,
    );

    let moto: MotoServer | undefined;
    const docs: DynamoDBDocumentClient[] = [];
    try {
      moto = await startPartitionedMoto();
      const seedDoc = localDoc(moto.endpoint);
      docs.push(seedDoc);
      const tables = [
        { name: 'bench-kpi-small', load: lo },
        { name: 'bench-kpi-large', load: hi },
      ];
      const loadStats: { table: string; items: number; calls: number; seconds: number }[] = [];
      for (const tbl of tables) {
        const t = Date.now();
        await provisionHubTable({ endpoint: moto.endpoint, tableName: tbl.name, region: REGION });
        await putApiKey(seedDoc, tbl.name, KEY, { scopes: ['kpi:read'], partner: null }, systemClock());
        for (const c of KPI_CHANNELS)
          await putChannel(seedDoc, tbl.name, { channel: c.channel, allocation: {} }, systemClock());
        const calls = await batchPut(seedDoc, tbl.name, tbl.load.kpiItems);
        loadStats.push({
          table: tbl.name,
          items: tbl.load.kpiItems.length,
          calls,
          seconds: round((Date.now() - t) / 1000, 1),
        });
      }
      ctx.log(
        `bulk-loaded into moto: ${loadStats.map((l) => `${l.items.toLocaleString('en-US')} KPI items in ${l.calls} BatchWriteItem calls (${l.seconds} s)`).join('; ')}`,
      );

      const query = { from: `${KPI_YEAR}-01-01`, to: `${KPI_YEAR}-12-31`, granularity: 'month', tz: ROLLUP_ZONE };
      const runs = tables.map((tbl) => {
        const doc = localDoc(moto!.endpoint);
        docs.push(doc);
        const counter = countRequests(doc);
        const handler = invoker(createHandler(() => kpiRuntime(envFor(moto!.endpoint, tbl.name), { doc })));
        let answer: KpiAnswer | undefined;
        const call = async () => {
          const res = await handler(
            apiEvent('GET', '/v1/kpis/channels', 'GET /v1/kpis/channels', KEY, { queryStringParameters: query }),
          );
          if (res.statusCode !== 200)
            throw new Error(
              `GET /v1/kpis/channels on ${tbl.name} answered ${res.statusCode}: ${String(res.body).slice(0, 300)}`,
            );
          answer = JSON.parse(String(res.body)) as KpiAnswer;
        };
        return { tbl, counter, call, samples: { ms: [], requests: [], items: 0 } as Samples, answer: () => answer! };
      });
      for (const r of runs) await r.call(); // warm: API key and channel list cached, JIT warm
      // alternate the two tables call by call, so drift lands on both
      for (let i = 0; i < callsEach; i++) for (const r of runs) await timeCalls(1, r.counter, r.call, r.samples);
      const motoMs = await motoLatency(seedDoc, tables[0]!.name);

      const failures: string[] = [];
      if (mismatch.length)
        failures.push(
          `kpi-read: direct counters differ from applyEvent's on ${small} orders (${mismatch.length} differences)`,
        );
      const results = runs.map((r) => {
        const s = statsOf(r.samples);
        const a = r.answer();
        const orders = a.channels.reduce((n, c) => n + c.total.orders, 0);
        if (orders !== r.tbl.load.orders)
          failures.push(
            `kpi-read: the answer on ${r.tbl.name} counts ${orders} orders, ${r.tbl.load.orders} were loaded`,
          );
        if (a.channels.length !== KPI_CHANNELS.length)
          failures.push(`kpi-read: ${a.channels.length} channels answered on ${r.tbl.name}`);
        return {
          orders: r.tbl.load.orders,
          kpiItems: r.tbl.load.kpiItems.length,
          medianMs: s.p50,
          ...s,
          answeredOrders: orders,
          channels: a.channels.length,
        };
      });
      const [rs, rl] = results as [(typeof results)[0], (typeof results)[0]];
      const ratio = round(rl.medianMs / rs.medianMs, 2);
      if (rs.requestsPerCallMax !== rl.requestsPerCallMax || rs.requestsPerCall !== rl.requestsPerCall)
        failures.push(
          `kpi-read: requests per KPI request differ: ${rs.requestsPerCall} (${small} orders) vs ${rl.requestsPerCall} (${large})`,
        );

      ctx.log(
        `moto per request (GetItem of a missing key): p50 ${motoMs.p50} ms, p99 ${motoMs.p99} ms — the times below are mostly moto (queries read their partition only: startPartitionedMoto)`,
      );
      ctx.log(
        `GET /v1/kpis/channels?from=${query.from}&to=${query.to}&granularity=month&tz=UTC, ${KPI_CHANNELS.length} channels:`,
      );
      for (const r of results)
        ctx.log(
          `  ${r.orders.toLocaleString('en-US')} orders (${r.kpiItems.toLocaleString('en-US')} KPI items): median ${r.medianMs} ms (mean ${r.mean}, ${r.calls} calls), ${r.requestsPerCall} DynamoDB requests/request, ${r.itemsReadPerCall.toLocaleString('en-US')} items read/request`,
        );
      ctx.log(
        `ratio ${large / 1000}k / ${small / 1000}k orders: ${ratio} (target ≤ ${KPI_RATIO_TARGET}: ${ratio <= KPI_RATIO_TARGET ? 'met' : 'NOT met'})`,
      );
      for (const f of failures) ctx.log(`FAIL ${f}`);

      const label = `${small.toLocaleString('en-US')} vs ${large.toLocaleString('en-US')} seeded orders (${lo.kpiItems.length.toLocaleString('en-US')} vs ${hi.kpiItems.length.toLocaleString('en-US')} KPI items), 5 channels, 365 days, moto ${motoMs.p50} ms/request, median of ${callsEach}`;
      return {
        figures: {
          orders: { small, large },
          events: { small: lo.events, large: hi.events },
          kpiItems: { small: lo.kpiItems.length, large: hi.kpiItems.length },
          counterGeneration: {
            small: {
              how: 'seeded order events through applyEvent on shared/table/memory-table.ts, its stream folded in batches of 1000',
              seconds: round(applied.ms / 1000, 1),
              memoryTableItems: applied.tableItems,
            },
            large: {
              how: 'each order merged to its final state and folded once (oversells omitted), checked equal to applyEvent + fold on the small set',
              seconds: round(direct.ms / 1000, 1),
            },
            directMatchesApply: mismatch.length === 0,
          },
          load: loadStats,
          query,
          motoMsPerRequest: motoMs,
          small: rs,
          large: rl,
          ratio,
          targetRatio: KPI_RATIO_TARGET,
          meetsTarget: ratio <= KPI_RATIO_TARGET,
          note: 'in-process kpi handler with the real SDK client against moto (base-table Query reads the partition, not the whole table); times measure moto, not DynamoDB',
        },
        headline: [
          {
            figure: `KPI read (365 days, all channels): ${large / 1000}k vs ${small / 1000}k orders`,
            value: `${rl.medianMs} ms vs ${rs.medianMs} ms → ratio ${ratio}`,
            target: `≤ ${KPI_RATIO_TARGET}`,
            meets: ratio <= KPI_RATIO_TARGET,
            measuredOn: label,
          },
          {
            figure: 'KPI read: DynamoDB requests / items read per request',
            value: `${rs.requestsPerCall} / ${rs.itemsReadPerCall} (${small / 1000}k), ${rl.requestsPerCall} / ${rl.itemsReadPerCall} (${large / 1000}k)`,
            measuredOn: label,
          },
        ],
        failures,
      };
    } finally {
      for (const d of docs) d.destroy();
      await moto?.stop();
    }
  },
};
