import { DELIVERY_KINDS, type DeliveryKind, type Mix } from './mix.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { foldMemory } from './memory-fold.ts';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { StreamChange } from '#shared/stream/watermarks.ts';
import { BALANCE_MAX_BYTES } from '#shared/inventory/stock-fold.ts';
import { ATS_SK } from '#shared/inventory/stock-events.ts';
import type { FoldEvents } from '#shared/stream/fold-apply.ts';
import { itemSize, valueSize } from '#shared/table/item-size.ts';
import type { CostStats } from '#shared/table/port.ts';
import {
  mixFor,
  mixLabel,
  normalizeMix,
  percentile,
  readConst,
  round,
  table,
  type BenchContext,
  type BenchModule,
  type DeliveryCost,
} from './lib.ts';

/** The target: billed write units per delivery on the realistic mix. */
export const WU_TARGET = 1.2;
export const NORMALIZE_ORDERS = 2000;

/** What folding the mix's stream of order changes into stock and KPI counters cost (fold function). */
export interface FoldCost extends CostStats {
  /** stream records per batch (a busy hub: the mapping's BatchSize; a quiet one: what its window gathers) */
  batchSize: number;
  batches: number;
  records: number;
  counterWrites: number;
  /** balance updates (one per balance per batch) and ledger rows (full lists of movements, batches too big to list) */
  balanceWrites: number;
  ledgerRows: number;
  /** balances taken below zero available (counted in the KPIs) */
  oversells: number;
  /** GSI byUpdated write units of the balances the fold updated (not in writeUnits, as for normalize) */
  gsiWriteUnits: number;
  /**
   * Movements still listed on balances when the run ends, and what writing them as ledger rows will
   * cost (listedLedgerWriteUnits): in a running hub every listed movement reaches a ledger row once
   * its balance's list is full (stock-fold.ts), so each is charged its share of a row — its bytes
   * over what a row of that balance holds (a full list, less one movement). Included in the fold's
   * figures per delivery; not in writeUnits, which is what the run wrote.
   */
  listedMoves: number;
  listedLedgerWriteUnits: number;
  /** in-process time of all batches, ms (memory table) */
  ms: number;
  /** the partition written most by one batch, and its write units in that batch */
  hottestPerBatch: { pk: string; wu: number };
  /**
   * write units by item type (balances and ledger rows SKU, emitted available-to-sell ATS, hour
   * counters KPI, day rollups KPID, month rollups KPIM, KPIZONE; change pages CHG; the balance
   * directory BALDIR)
   */
  writeUnitsByItemType: Record<string, number>;
}

/** The fold function's stream BatchSize as the stack deploys it: a busy hub's batches are full. */
export const FOLD_BATCH_SIZE = readConst(
  'infra/hub-stack.ts',
  /export const FOLD_BATCH_SIZE = (\d+)/,
  'FOLD_BATCH_SIZE',
);
/** Its batching window: what a quiet hub's fold batch holds. */
export const FOLD_WINDOW_SECONDS = readConst(
  'infra/hub-stack.ts',
  /export const FOLD_BATCH_WINDOW_SECONDS = (\d+)/,
  'FOLD_BATCH_WINDOW_SECONDS',
);
/** The quiet hub the cost figures assume: one delivery a second (normalize then gets batches of one). */
export const QUIET_DELIVERIES_PER_SECOND = 1;

/** Lambda's invocation payload limit: a stream batch also ends where its records would exceed it. */
export const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** A stream record of an order change as it appears in the fold's event (JSON bytes). */
export function eventRecordBytes(c: StreamChange): number {
  const image = c.newImage ?? c.oldImage ?? {};
  const record = {
    eventID: '7de3041dd8e5ac3a0d9e5a3c4cbd7d5a',
    eventName: c.oldImage ? (c.newImage ? 'MODIFY' : 'REMOVE') : 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-central-1',
    dynamodb: {
      ApproximateCreationDateTime: 1795435200,
      Keys: marshall({ pk: image.pk, sk: image.sk }),
      ...(c.newImage ? { NewImage: marshall(c.newImage, { removeUndefinedValues: true }) } : {}),
      ...(c.oldImage ? { OldImage: marshall(c.oldImage, { removeUndefinedValues: true }) } : {}),
      SequenceNumber: '4421584500000000017450439091',
      SizeBytes: 1500,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN:
      'arn:aws:dynamodb:eu-central-1:123456789012:table/InventoryHub-HubTable1A2B3C4D-1A2B3C4D5E6F/stream/2026-11-23T12:00:00.000',
  };
  return Buffer.byteLength(JSON.stringify(record)) + 1;
}

/**
 * How many order changes a busy hub's fold batch holds: the BatchSize, unless the 6 MB payload
 * ends it first (measured on the mix's own stream records, images in DynamoDB JSON).
 */
export function busyFoldBatch(changes: StreamChange[]): {
  batchSize: number;
  meanRecordBytes: number;
  limitedBy: 'BatchSize' | 'payload';
} {
  const mean = changes.reduce((n, c) => n + eventRecordBytes(c), 0) / Math.max(1, changes.length);
  const byPayload = Math.floor(LAMBDA_PAYLOAD_BYTES / Math.max(1, mean));
  return byPayload < FOLD_BATCH_SIZE
    ? { batchSize: byPayload, meanRecordBytes: Math.round(mean), limitedBy: 'payload' }
    : { batchSize: FOLD_BATCH_SIZE, meanRecordBytes: Math.round(mean), limitedBy: 'BatchSize' };
}

export interface NormalizeMeasurement {
  mix: Mix;
  costs: DeliveryCost[];
  table: MemoryTable;
  fold: { busy: FoldCost; quiet: FoldCost; busyBatch: ReturnType<typeof busyFoldBatch> };
}

/**
 * The fold of `t`'s stream in batches of `batchSize`, billed. Without `events` nothing listens (no
 * subscription, no pushed channel): the fold derives no stock-change events, as a hub without
 * outbound. With them it derives and hands them over as a hub with listeners does (bench/outbound.ts).
 */
export async function measureFold(t: MemoryTable, batchSize: number, events?: FoldEvents): Promise<FoldCost> {
  const before = { ...t.stats };
  const gsiBefore = t.gsi.writeUnits;
  const c: FoldCost = {
    batchSize,
    batches: 0,
    records: t.streamLength,
    counterWrites: 0,
    balanceWrites: 0,
    ledgerRows: 0,
    oversells: 0,
    listedMoves: 0,
    listedLedgerWriteUnits: 0,
    readRequests: 0,
    writeRequests: 0,
    readUnits: 0,
    writeUnits: 0,
    gsiWriteUnits: 0,
    ms: 0,
    hottestPerBatch: { pk: '', wu: 0 },
    writeUnitsByItemType: {},
  };
  // the fold's writes are its own: not added to the last delivery's write records
  let perPk = new Map<string, number>();
  const endBatch = () => {
    for (const [pk, wu] of perPk) if (wu > c.hottestPerBatch.wu) c.hottestPerBatch = { pk, wu };
    perPk = new Map();
  };
  t.onWrite = (records) => {
    for (const r of records) {
      // the emitted available-to-sell per SKU (stock-change events) apart from balances and ledger rows
      const type = r.sk === ATS_SK ? 'ATS' : itemTypeOf(r.pk);
      c.writeUnitsByItemType[type] = (c.writeUnitsByItemType[type] ?? 0) + r.units;
      perPk.set(r.pk, (perPk.get(r.pk) ?? 0) + r.units);
    }
  };
  const start = performance.now();
  await foldMemory(t, {
    batchSize,
    ...(events ? { events } : {}),
    onBatch: (r) => (
      endBatch(),
      (c.batches += 1),
      (c.counterWrites += r.written),
      (c.balanceWrites += r.balances),
      (c.ledgerRows += r.ledgerRows),
      (c.oversells += r.oversells)
    ),
  });
  c.ms = performance.now() - start;
  c.readRequests = t.stats.readRequests - before.readRequests;
  c.writeRequests = t.stats.writeRequests - before.writeRequests;
  c.readUnits = t.stats.readUnits - before.readUnits;
  c.writeUnits = t.stats.writeUnits - before.writeUnits;
  c.gsiWriteUnits = t.gsi.writeUnits - gsiBefore;
  t.onWrite = undefined;
  let listed = 0;
  for (const it of t.items()) {
    if (it.type !== 'balance' || !Array.isArray(it.moves) || it.moves.length === 0) continue;
    const listBytes = 'moves'.length + valueSize(it.moves);
    const base = itemSize(it) - listBytes;
    const perMove = listBytes / it.moves.length;
    listed += listBytes / Math.max(perMove, BALANCE_MAX_BYTES - base - perMove);
    c.listedMoves += it.moves.length;
  }
  c.listedLedgerWriteUnits = Math.round(listed);
  return c;
}

/** The fold's write units with the ledger rows its listed movements will take (FoldCost.listedMoves). */
export function foldWriteUnits(c: FoldCost): number {
  return c.writeUnits + c.listedLedgerWriteUnits;
}

/**
 * The mix through the normalizer on the memory table, twice on fresh tables: the first pass warms
 * the JIT, the second is measured (both must bill the same units — the run is deterministic). The
 * fold is a hub's without outbound: nothing listens, so it derives no stock-change events (their
 * cost is priced with outbound, bench/outbound.ts).
 */
export function measureNormalize(ctx: BenchContext): Promise<NormalizeMeasurement> {
  return ctx.memo('normalize', async () => {
    const mix = await mixFor(ctx, NORMALIZE_ORDERS);
    // balance writes by normalize (counts, adjustments) reach the fold as its event filter hands
    // them over: their change pages and stock-change events are the fold's too
    const warm = new MemoryTable();
    warm.recordCounted = true;
    await normalizeMix(mix, warm);
    const t = new MemoryTable();
    t.recordCounted = true;
    const costs = await normalizeMix(mix, t);
    if (t.stats.writeUnits !== warm.stats.writeUnits)
      throw new Error(`normalize is not deterministic: ${warm.stats.writeUnits} then ${t.stats.writeUnits} WU`);
    // the same stream folded as a busy hub's fold sees it (full batches) and as a quiet one's: the
    // order changes of QUIET_DELIVERIES_PER_SECOND deliveries a second over the batching window
    const busyBatch = busyFoldBatch(t.streamFrom(0).changes);
    const busy = await measureFold(t, busyBatch.batchSize);
    const quietBatch = quietFoldBatch(FOLD_WINDOW_SECONDS, t.streamLength, costs.length);
    const quiet = await measureFold(warm, quietBatch);
    return { mix, costs, table: t, fold: { busy, quiet, busyBatch } };
  });
}

/** A quiet hub's fold batch: the order changes of `perSecond` deliveries a second over `windowSeconds`. */
export function quietFoldBatch(
  windowSeconds: number,
  streamLength: number,
  deliveries: number,
  perSecond: number = QUIET_DELIVERIES_PER_SECOND,
): number {
  return Math.max(1, Math.round((windowSeconds * perSecond * streamLength) / deliveries));
}

/**
 * A quieter-than-busy hub's fold with some batching window: the mix normalized into a fresh
 * table, its stream folded in the batches that window gathers at `perSecond` deliveries a second.
 */
export function measureQuietFold(
  ctx: BenchContext,
  windowSeconds: number,
  perSecond: number = QUIET_DELIVERIES_PER_SECOND,
): Promise<FoldCost> {
  const batch = (streamLength: number, deliveries: number) =>
    quietFoldBatch(windowSeconds, streamLength, deliveries, perSecond);
  return ctx.memo(`quiet-fold-${windowSeconds}-${perSecond}`, async () => {
    const { mix, costs } = await measureNormalize(ctx);
    const t = new MemoryTable();
    t.recordCounted = true;
    await normalizeMix(mix, t);
    return measureFold(t, batch(t.streamLength, costs.length));
  });
}

function sum(costs: DeliveryCost[], f: (c: DeliveryCost) => number): number {
  return costs.reduce((n, c) => n + f(c), 0);
}

export function summarize(costs: DeliveryCost[]) {
  const n = costs.length || 1;
  const ms = costs.map((c) => c.ms).sort((a, b) => a - b);
  return {
    deliveries: costs.length,
    readRequests: round(sum(costs, (c) => c.readRequests) / n),
    writeRequests: round(sum(costs, (c) => c.writeRequests) / n),
    readUnits: round(sum(costs, (c) => c.readUnits) / n),
    writeUnits: round(sum(costs, (c) => c.writeUnits) / n),
    gsiWriteUnits: round(sum(costs, (c) => c.gsiWriteUnits) / n),
    wroteNothingShare: round(costs.filter((c) => c.writeRequests === 0).length / n),
    inProcessMsMean: round(sum(costs, (c) => c.ms) / n, 4),
    inProcessMsP50: round(percentile(ms, 50), 4),
    inProcessMsP99: round(percentile(ms, 99), 4),
  };
}

/**
 * The item type a write's partition key names: its prefix, with the `ORDER#` partition's items
 * told apart (shared/table/keys.ts) — orders, a customer's first-order mark (`ORDER#<ch>#CUST#…`),
 * a customer's purchases of a product (`ORDER#<ch>#PROD#…`) and draft orders (`ORDER#<ch>#DRAFT#…`).
 */
export function itemTypeOf(pk: string): string {
  const [prefix = '', , kind] = pk.split('#');
  if (prefix !== 'ORDER') return prefix;
  return kind === 'CUST'
    ? 'ORDER/CUSTOMER'
    : kind === 'PROD'
      ? 'ORDER/CUSTOMER-PRODUCT'
      : kind === 'DRAFT'
        ? 'ORDER/DRAFT'
        : 'ORDER';
}

export const normalizeCostBench: BenchModule = {
  name: 'normalize',
  title: 'Normalize cost per delivery',
  async run(ctx) {
    const { mix, costs, table: t, fold } = await measureNormalize(ctx);
    const all = summarize(costs);
    const n = costs.length;
    // the balance directory is written once per SKU × location ever seen, not per webhook: the mix
    // starts on an empty table, so its one-time entries are shown apart (DIRECTORY_TYPE)
    const normDir = normalizeDirectoryWriteUnits(costs);
    const foldDir = foldFeedWriteUnits(fold.busy).directory / n;
    const directoryWu = round(normDir + foldDir);
    const foldWu = round(foldWriteUnits(fold.busy) / n - foldDir);
    const foldWuQuiet = round((foldWriteUnits(fold.quiet) - foldFeedWriteUnits(fold.quiet).directory) / n);
    const normWu = round(all.writeUnits - normDir);
    const totalWuPerDelivery = round(normWu + foldWu);
    const gsiWu = round(all.gsiWriteUnits + fold.busy.gsiWriteUnits / n);
    const meets = totalWuPerDelivery <= WU_TARGET;
    const perKind: Record<string, ReturnType<typeof summarize> & { share: number; writeUnitShare: number }> = {};
    const totalWu = sum(costs, (c) => c.writeUnits);
    for (const kind of DELIVERY_KINDS) {
      const of = costs.filter((c) => c.kind === kind);
      perKind[kind] = {
        ...summarize(of),
        share: round(of.length / costs.length),
        writeUnitShare: round(sum(of, (c) => c.writeUnits) / totalWu),
      };
    }
    const outcomes: Record<string, number> = {};
    for (const c of costs) {
      const k = c.status === 'quarantined' ? `quarantined:${c.reason}` : c.status;
      outcomes[k] = (outcomes[k] ?? 0) + 1;
    }
    // where the write units go, by item type (pk prefix)
    const byItem: Record<string, number> = {};
    for (const c of costs)
      for (const w of c.writes) byItem[itemTypeOf(w.pk)] = (byItem[itemTypeOf(w.pk)] ?? 0) + w.units;
    const transactional = costs.filter((c) => c.writes.length > 1);

    ctx.log(
      `measured on ${mixLabel(mix)}, memory table (cross-checked against DynamoTable on moto by the crosscheck bench)`,
    );
    const rows = [
      ['kind', 'deliveries', 'RR/dlv', 'WR/dlv', 'RU/dlv', 'WU/dlv', 'share of WU', 'wrote nothing', '+GSI WU/dlv'],
    ];
    for (const kind of DELIVERY_KINDS as readonly DeliveryKind[]) {
      const k = perKind[kind]!;
      rows.push([
        kind,
        String(k.deliveries),
        String(k.readRequests),
        String(k.writeRequests),
        String(k.readUnits),
        String(k.writeUnits),
        `${(k.writeUnitShare * 100).toFixed(1)}%`,
        `${(k.wroteNothingShare * 100).toFixed(0)}%`,
        String(k.gsiWriteUnits),
      ]);
    }
    rows.push([
      'ALL',
      String(all.deliveries),
      String(all.readRequests),
      String(all.writeRequests),
      String(all.readUnits),
      String(all.writeUnits),
      '100%',
      `${(all.wroteNothingShare * 100).toFixed(1)}%`,
      String(all.gsiWriteUnits),
    ]);
    ctx.log(table(rows));
    ctx.log(
      `write units by item type: ${Object.entries(byItem)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${((v / totalWu) * 100).toFixed(1)}% (${round(v / n)} WU/dlv)`)
        .join(', ')}`,
    );
    ctx.log(
      `${transactional.length} deliveries (${((transactional.length / costs.length) * 100).toFixed(1)}%) wrote more than one item (in a transaction each item bills twice; a product's listing mappings are separate writes); they carry ${((sum(transactional, (c) => c.writeUnits) / totalWu) * 100).toFixed(1)}% of the write units`,
    );
    ctx.log(`outcomes: ${JSON.stringify(outcomes)}`);
    ctx.log(
      `fold (orders' stock effects and KPI counters from the stream; no subscription or pushed channel, so no stock-change events derived): ${fold.busy.records} order changes in ${fold.busy.batches} batches of ≤ ${fold.busy.batchSize} (BatchSize ${FOLD_BATCH_SIZE}; ${fold.busyBatch.meanRecordBytes}-byte stream records, so ${fold.busyBatch.limitedBy === 'payload' ? 'the 6 MB payload ends a batch first' : 'BatchSize ends a batch'}) → ${fold.busy.balanceWrites} balance updates + ${fold.busy.ledgerRows} ledger rows + ${fold.busy.counterWrites} counter writes (${fold.busy.oversells} oversells), ${fold.busy.writeUnits} WU + ${fold.busy.listedLedgerWriteUnits} WU of ledger rows for the ${fold.busy.listedMoves} movements still listed on balances = ${foldWu} WU/delivery, ${round(fold.busy.readRequests / n)} read requests/delivery; ` +
        `quiet hub (${QUIET_DELIVERIES_PER_SECOND} delivery/s → batches of ${fold.quiet.batchSize} over the ${FOLD_WINDOW_SECONDS} s window): ${fold.quiet.balanceWrites} balance updates + ${fold.quiet.ledgerRows} ledger rows (+${fold.quiet.listedLedgerWriteUnits} WU for listed movements) + ${fold.quiet.counterWrites} counter writes = ${foldWuQuiet} WU/delivery; busy-hub fold WU by item type: ${JSON.stringify(fold.busy.writeUnitsByItemType)}`,
    );
    ctx.log(
      `write units per delivery: normalize ${normWu} + fold ${foldWu} = ${totalWuPerDelivery} (target ≤ ${WU_TARGET}: ${meets ? 'met' : 'NOT met'}; balance directory entries apart: ${directoryWu}, one per SKU × location the hub first sees, and this mix starts on an empty table); GSI byUpdated adds ${gsiWu} WU/delivery (normalize ${all.gsiWriteUnits}, fold ${round(fold.busy.gsiWriteUnits / n)}) that TablePort stats do not count`,
    );
    ctx.log(
      `normalize in-process time (memory table, no DynamoDB latency): mean ${all.inProcessMsMean} ms, p50 ${all.inProcessMsP50} ms, p99 ${all.inProcessMsP99} ms per delivery`,
    );

    return {
      figures: {
        orders: mix.orders.length,
        deliveries: costs.length,
        seed: mix.seed,
        targetWriteUnitsPerDelivery: WU_TARGET,
        meetsTarget: meets,
        writeUnitsPerDeliveryWithFold: totalWuPerDelivery,
        gsiWriteUnitsPerDelivery: gsiWu,
        perDelivery: all,
        fold: { ...fold, writeUnitsPerDelivery: foldWu, quietWriteUnitsPerDelivery: foldWuQuiet },
        perKind,
        outcomes,
        writeUnitShareByItemType: Object.fromEntries(Object.entries(byItem).map(([k, v]) => [k, round(v / totalWu)])),
        writeUnitsPerDeliveryByItemType: Object.fromEntries(Object.entries(byItem).map(([k, v]) => [k, round(v / n)])),
        transactionalDeliveryShare: round(transactional.length / costs.length),
        totals: { ...t.stats, gsiWriteUnits: t.gsi.writeUnits, items: t.size },
      },
      headline: [
        {
          figure: 'Write units per delivery (normalize + fold, busy hub)',
          value: `${totalWuPerDelivery} WU = ${normWu} + ${foldWu} fold (+${gsiWu} GSI; quiet-hub fold ${foldWuQuiet}; one-time directory entries of the mix's new balances +${directoryWu})`,
          target: `≤ ${WU_TARGET}`,
          meets,
          measuredOn: mixLabel(mix),
        },
        {
          figure: 'Normalize read requests / write requests per delivery',
          value: `${all.readRequests} / ${all.writeRequests}`,
          measuredOn: mixLabel(mix),
        },
        {
          figure: 'Deliveries that wrote nothing',
          value: `${(all.wroteNothingShare * 100).toFixed(1)}%`,
          measuredOn: mixLabel(mix),
        },
      ],
    };
  },
};

/** Item types (partition key prefixes) of the delta feed's change pages. */
export const CHANGE_PAGE_TYPES = ['CHG'] as const;
/** Item type of the balance directory. */
export const DIRECTORY_TYPE = 'BALDIR';

/** The fold's write units on change pages and on the balance directory. */
export function foldFeedWriteUnits(c: FoldCost): { pages: number; directory: number } {
  const by = c.writeUnitsByItemType;
  return {
    pages: CHANGE_PAGE_TYPES.reduce((n, t) => n + (by[t] ?? 0), 0),
    directory: by[DIRECTORY_TYPE] ?? 0,
  };
}

/** Normalize's write units on the balance directory (a count or adjustment creating a balance), per delivery. */
export function normalizeDirectoryWriteUnits(costs: DeliveryCost[]): number {
  let wu = 0;
  for (const c of costs) for (const w of c.writes) if (w.pk.startsWith(`${DIRECTORY_TYPE}#`)) wu += w.units;
  return wu / Math.max(1, costs.length);
}
