import { forEachLimit } from '#shared/domain/pool.ts';
import { retryOnConflict } from '#shared/table/conflict.ts';
import type { MsClock } from '#shared/domain/clock.ts';
import { planKpiFold, sumAbove, type CounterPlan, type SkippedChange } from '#shared/kpi/fold.ts';
import {
  padSeq,
  staleWatermarks,
  watermarkAttr,
  type CountedBalance,
  type StreamChange,
} from '#shared/stream/watermarks.ts';
import { isTimeZone } from '#shared/kpi/periods.ts';
import { BALANCE_MAX_BYTES, planStockFold, readStockFold, writeStockFold } from '#shared/inventory/stock-fold.ts';
import { conditionExpression, eq, notExists, updateExpression } from '#shared/table/expression.ts';
import { itemSize } from '#shared/table/item-size.ts';
import { itemRef, keys } from '#shared/table/keys.ts';
import { WriteConflictError, type Item, type TablePort } from '#shared/table/port.ts';
import type { ChannelPort } from '#shared/inventory/ports.ts';
import { deriveStockEvents } from '#shared/inventory/stock-events.ts';
import { writeBatchPage } from '#shared/inventory/change-pages.ts';
import { needsDirectoryEntry, writeDirectoryEntries } from '#shared/inventory/balance-directory.ts';
import type { StockChangePublisher } from '#shared/outbound/events.ts';
import type { StockEventListeners } from '#shared/outbound/listeners.ts';

export interface FoldDeps {
  table: TablePort;
  /** the zone the day/month rollups are cut in (resolveRollupZone, memoized per container) */
  rollupZone(): Promise<string>;
  /** the fold's clock (epoch ms): watermark pruning, the 36-hour rule for ledger rows, balance stamps */
  now: MsClock;
  /** the channels whose available-to-sell the fold derives events for (configured, connected, with data) */
  channels: ChannelPort;
  /** where the derived stock-change events go once a batch's balance writes committed */
  publisher: StockChangePublisher;
  /**
   * whether anything consumes the events (an active subscription, a channel with pushes): while
   * nothing does, the batch derives none (absent: always derive)
   */
  listeners?: StockEventListeners;
}

/** What the fold needs to derive and hand over stock-change events (shared/inventory/stock-events.ts). */
export interface FoldEvents {
  channels: ChannelPort;
  publisher: StockChangePublisher;
}

export interface FoldResult {
  /** order changes in the batch */
  changes: number;
  /** counters the batch touched */
  counters: number;
  /** counter writes made (a counter whose changes were all folded before is not written) */
  written: number;
  /** stock balances written (one update each, whatever number of changes it folded) */
  balances: number;
  /** ledger rows written (a balance's full list of movements, or a batch too big to list on it) */
  ledgerRows: number;
  /** balances listed on the batch's change page (the delta feed) */
  pageRows: number;
  /** balances the batch took below zero available */
  oversells: number;
  /** records left out because their images could not be read (see planKpiFold) */
  skipped: SkippedChange[];
  /** stock-change events published (balance and available-to-sell) */
  events: number;
}

/**
 * The rollup zone is fixed by the first fold that runs (the merchant zone it was configured with,
 * UTC otherwise) and stored in the table: every later fold cuts days and months in that zone, so
 * the rollups never mix two calendars. KPI reads in that zone use the rollups, other zones the
 * hour counters (shared/kpi/counters-read.ts). Changing HUB_MERCHANT_TIME_ZONE later changes the
 * default zone of KPI answers, not the rollups (docs/kpis.md).
 */
export async function resolveRollupZone(table: TablePort, wanted: string): Promise<string> {
  const key = keys.kpiZone();
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await table.get(key);
    if (current && typeof current.zone === 'string' && isTimeZone(current.zone)) return current.zone;
    try {
      await table.write([
        { kind: 'put', item: { ...key, type: 'kpi-zone', zone: wanted }, ...conditionExpression(notExists('pk')) },
      ]);
      return wanted;
    } catch (err) {
      if (!(err instanceof WriteConflictError)) throw err;
    }
  }
  throw new Error('could not read or set the KPI rollup zone');
}

/** One counter's update: ADD the folded sums, move this shard's watermark, drop stale ones. */
function counterWrite(plan: CounterPlan, current: Item | undefined, shardId: string, nowMs: number) {
  const wAttr = watermarkAttr(shardId);
  const seen = typeof current?.[wAttr] === 'string' ? (current[wAttr] as string) : undefined;
  const { adds, lastSeq } = sumAbove(plan, seen);
  if (lastSeq === undefined) return undefined;
  const stale = staleWatermarks(current, shardId, nowMs);
  // billed as the larger of the item before and after (1 KB units): estimate the after image
  const after: Item = { ...(current ?? plan.key), ...plan.attrs, [wAttr]: lastSeq };
  for (const [attr, v] of Object.entries(adds)) after[attr] = Number(after[attr] ?? 0) + v;
  for (const attr of stale) delete after[attr];
  return {
    kind: 'update' as const,
    key: plan.key,
    ...updateExpression(
      { set: { [wAttr]: lastSeq, ...plan.attrs }, add: adds, remove: stale },
      seen === undefined ? notExists(wAttr) : eq(wAttr, seen),
    ),
    billedSize: Math.max(current ? itemSize(current) : 0, itemSize(after)),
  };
}

/** Counters written at once: enough to hide latency, few enough not to throttle one partition. */
const CONCURRENCY = 16;

/**
 * Folds order changes of one stream shard into the counters, exactly once per counter: each
 * counter is read (eventually consistent, half the read units, one BatchGetItem per 100: its update
 * is conditional on the watermark read, so a stale read fails the condition and the retry reads
 * strongly consistent — a retry, never a change counted twice), the changes above its watermark
 * for this shard are summed, and one conditional update adds them and moves the watermark. A lost
 * race (another invocation of the same shard, which Lambda avoids but a retry after a timeout can
 * cause) re-reads that counter and folds again.
 */
export async function applyKpiFold(
  table: TablePort,
  shardId: string,
  changes: StreamChange[],
  zone: string,
  nowMs: number,
  oversells: ReadonlyMap<string, number> = new Map(),
  skipped: SkippedChange[] = [],
): Promise<{ counters: number; written: number }> {
  const plans = planKpiFold(changes, zone, skipped, oversells);
  if (plans.length === 0) return { counters: 0, written: 0 };
  const items = await table.batchGet(
    plans.map((p) => p.key),
    { consistent: false },
  );
  const byKey = new Map(items.map((it) => [itemRef(it), it]));
  // a channel's first month counter: the channel is listed from now on, whatever else it has
  const newChannels = new Set(
    plans.filter((p) => p.attrs.type === 'kpi-month' && !byKey.has(itemRef(p.key))).map((p) => p.attrs.channel!),
  );
  for (const channel of newChannels) {
    await table.write([{ kind: 'put', item: { ...keys.channelData(channel), type: 'channel-data', channel } }]);
  }
  let written = 0;
  await forEachLimit(plans.length, CONCURRENCY, async (i) => {
    const plan = plans[i]!;
    let current = byKey.get(itemRef(plan.key));
    await retryOnConflict(
      async () => {
        const op = counterWrite(plan, current, shardId, nowMs);
        if (!op) return;
        await table.write([op]);
        written++;
      },
      async () => {
        current = await table.get(plan.key);
      },
    );
  });
  return { counters: plans.length, written };
}

/**
 * Folds a batch of one stream shard's order changes into stock and KPIs, exactly once:
 *  1. reads the balances the batch touches and finds, change by change in stream order, the
 *     records that take one below zero available (oversells);
 *  2. folds the KPI changes, those oversells included, into the counters;
 *  3. writes the balances, listing their movements, and the ledger rows of full lists
 *     (shared/inventory/stock-fold.ts).
 * Every balance and counter write is guarded by a per-shard watermark (ledger rows are keyed puts
 * of the same content), so a batch retried after any step redoes only what is missing. Oversells
 * go to the counters before any balance is written: a retry that finds a balance already folded
 * has nothing to count, and the counters' watermarks skip what they took.
 */
export async function applyFold(
  table: TablePort,
  shardId: string,
  changes: StreamChange[],
  zone: string,
  nowMs: number,
  /** the time balance writes are stamped with, read as each is written */
  clock: MsClock,
  /** largest balance that lists movements (default BALANCE_MAX_BYTES; tests lower it to flush often) */
  balanceMaxBytes = BALANCE_MAX_BYTES,
  /** derive and publish stock-change events after the balance writes (absent: none derived) */
  events?: FoldEvents,
  /** balances normalize wrote (counts, adjustments) in the same stream batch: their events too */
  counted: readonly CountedBalance[] = [],
): Promise<FoldResult> {
  const skipped: SkippedChange[] = [];
  const stock = await readStockFold(table, shardId, planStockFold(changes, skipped), nowMs, balanceMaxBytes);
  const oversells = new Map<string, number>();
  for (const seq of stock.oversells) oversells.set(seq, (oversells.get(seq) ?? 0) + 1);
  const kpiSkipped: SkippedChange[] = [];
  const kpi = await applyKpiFold(table, shardId, changes, zone, nowMs, oversells, kpiSkipped);
  for (const s of kpiSkipped) if (!skipped.some((x) => x.seq === s.seq)) skipped.push(s);
  const stockSkipped: SkippedChange[] = [];
  // balances the batch creates (or first writes since the upgrade) enter the balance directory
  // before they are written (balance-directory.ts)
  await writeDirectoryEntries(
    table,
    stock.plans.filter((_, i) => needsDirectoryEntry(stock.current[i])),
  );
  const written = await writeStockFold(table, shardId, stock, nowMs, clock, stockSkipped);
  skipped.push(...stockSkipped);
  let published = 0;
  const lastSeq = [...changes.map((c) => c.seq), ...counted.map((c) => c.seq)]
    .map(padSeq)
    .reduce<string | undefined>((max, s) => (max === undefined || s > max ? s : max), undefined);
  // the delta feed: the batch's changed balances on one change page (change-pages.ts)
  const page =
    lastSeq === undefined
      ? { parts: 0, rows: 0 }
      : await writeBatchPage(table, shardId, lastSeq, written.changed, counted, clock, written.balances === 0);
  if (events && lastSeq !== undefined) {
    // a retry of this batch has the same shard and last record: it re-derives the same versions
    const batchKey = `${shardId}#${lastSeq}`;
    const touched = [...stock.plans, ...counted.map(({ sku, location }) => ({ sku, location }))];
    const derived = await deriveStockEvents(table, events.channels, batchKey, touched, nowMs);
    if (derived.length > 0) await events.publisher.publish(derived);
    published = derived.length;
  }
  return {
    changes: changes.length,
    ...kpi,
    balances: written.balances,
    ledgerRows: written.rows,
    pageRows: page.rows,
    oversells: stock.oversells.length,
    skipped,
    events: published,
  };
}

/** What folding nothing did (and the start of a sum of results). */
export function emptyFoldResult(): FoldResult {
  return {
    changes: 0,
    counters: 0,
    written: 0,
    balances: 0,
    ledgerRows: 0,
    pageRows: 0,
    oversells: 0,
    skipped: [],
    events: 0,
  };
}

/**
 * Folds one batch of a stream shard (its order changes as plain items: the DynamoDB records are
 * converted at the adapter edge, shared/aws/stream-records.ts).
 */
export async function foldStreamBatch(
  deps: FoldDeps,
  shardId: string,
  changes: StreamChange[],
  /** balances normalize wrote (counts, adjustments) in the batch: events derived for them too */
  counted: readonly CountedBalance[] = [],
): Promise<FoldResult> {
  if (!shardId) throw new Error('the fold event carries no shardId: its event source mapping needs a tumbling window');
  if (changes.length === 0 && counted.length === 0) return emptyFoldResult();
  // nothing listens: no SKU reads, no ATS# writes, nothing published (docs/outbound.md, "When events start")
  const listening = deps.listeners ? await deps.listeners.any() : true;
  return applyFold(
    deps.table,
    shardId,
    changes,
    await deps.rollupZone(),
    deps.now(),
    deps.now,
    BALANCE_MAX_BYTES,
    listening ? { channels: deps.channels, publisher: deps.publisher } : undefined,
    counted,
  );
}
