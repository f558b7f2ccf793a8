import { localDateAt } from '#shared/kpi/periods.ts';
import { hourBucket, keys } from '#shared/table/keys.ts';
import { padSeq, type StreamChange } from '#shared/stream/watermarks.ts';
import type { Item, Key } from '#shared/table/port.ts';
import { KPI_COUNT_FIELDS, KPI_CURRENCY_FIELDS, emptyFigures, type KpiFigures } from '#shared/kpi/kpi-figures.ts';
import { contributionOf, orderBodyOfItem } from '#shared/normalize/order-state.ts';
import { kpiOfCustomerItem } from '#shared/kpi/customers.ts';
import { kpiOfProductItem } from '#shared/kpi/upsell.ts';
import { kpiOfDraftItem } from '#shared/kpi/sales-cycle.ts';

/**
 * KPI counters folded from the table's stream (pure planning; shared/stream/fold-apply.ts writes).
 * docs/architecture.md, "The write path": the normalizer writes each order version once; the
 * order item's stream record (old and new image) says exactly how the order's KPI contribution
 * changed, and a whole stream batch folds into one update per counter:
 *  - the hour counter (channel × UTC hour of the order's creation) — answers any whole-hour zone;
 *  - the day and month rollups in the rollup zone (the merchant's, fixed by the first fold), cut
 *    at the order's exact creation time — so a year is read as ~24 month items however many
 *    orders it had, and 30/45-minute zones are exact there.
 * Exactly once: a stream shard is read in order by one invocation at a time, so each counter
 * keeps, per stream shard, the sequence number of the last record folded into it (its watermark,
 * see watermarkAttr);
 * a retried batch folds only the records above it. A record of an item is in exactly one shard,
 * and its images give the change itself, so every order change is counted once in every counter.
 */

/** One counter item the batch changes, with each record's change to it. */
export interface CounterPlan {
  key: Key;
  /** identity attributes the counter item carries (channel, day/month, type) */
  attrs: Record<string, string>;
  /** `prefix`: where in the item the figures go (`T<HH>:` for an hour of a day's hour counters) */
  changes: { seq: string; delta: Partial<KpiFigures>; prefix: string }[];
}

/** `T<HH>:<figure>`: an hour's figure in a day's hour-counter item. */
const HOUR_ATTR = /^T(\d\d):(.+)$/;

/**
 * The hour counters an item holds, one item per hour with the figures as plain attributes
 * (`{ type: 'kpi', channel, hour, orders, revenue_USD, … }`). A day's hour-counter item holds them
 * as `T<HH>:<figure>`; an item written as a single hour counter (an `hour` attribute) is its own.
 */
export function hourCountersOf(item: Item): Item[] {
  if (typeof item.hour === 'string') return [item];
  if (item.type !== 'kpi-hours' || typeof item.day !== 'string') return [];
  const hours = new Map<string, Item>();
  for (const [attr, v] of Object.entries(item)) {
    const m = HOUR_ATTR.exec(attr);
    if (!m) continue;
    const hour = `${item.day}T${m[1]}`;
    let h = hours.get(hour);
    if (!h) hours.set(hour, (h = { type: 'kpi', channel: item.channel, hour }));
    h[m[2]!] = v;
  }
  return [...hours.values()].sort((a, b) => (String(a.hour) < String(b.hour) ? -1 : 1));
}

/**
 * The hour counters from `fromHour` to `toHour` (inclusive) in the items of one counter partition
 * read from `H#<first day>` to `H#<last day>~` (the `~` also takes items written as single hours).
 */
export function hourCountersBetween(items: Item[], fromHour: string, toHour: string): Item[] {
  return items.flatMap(hourCountersOf).filter((h) => String(h.hour) >= fromHour && String(h.hour) <= toHour);
}

/** into[key] += sign × f */
function addFigures(
  into: Record<string, Partial<KpiFigures>>,
  key: string,
  f: Partial<KpiFigures>,
  sign: 1 | -1,
): void {
  const d = (into[key] ??= {});
  for (const field of KPI_COUNT_FIELDS) if (f[field]) d[field] = (d[field] ?? 0) + sign * f[field]!;
  for (const field of KPI_CURRENCY_FIELDS) {
    for (const [cur, v] of Object.entries(f[field] ?? {})) (d[field] ??= {})[cur] = (d[field]![cur] ?? 0) + sign * v;
  }
}

/** The figures without zeros; undefined when nothing is left. */
function pruneFigures(d: Partial<KpiFigures>): Partial<KpiFigures> | undefined {
  const out: Partial<KpiFigures> = {};
  for (const field of KPI_COUNT_FIELDS) if (d[field]) out[field] = d[field];
  for (const field of KPI_CURRENCY_FIELDS) {
    const m = Object.fromEntries(Object.entries(d[field] ?? {}).filter(([, x]) => x !== 0));
    if (Object.keys(m).length) out[field] = m;
  }
  return Object.keys(out).length ? out : undefined;
}

interface OrderKpi {
  channel: string;
  at: string;
  figures: KpiFigures;
}

/** What an order item (a stream image) contributes to the KPIs (oversells are the fold's to add). */
export function kpiOfOrderItem(item: Item | undefined): OrderKpi | undefined {
  if (item?.type !== 'order' || !item.state || typeof item.channel !== 'string') return undefined;
  const k = contributionOf(orderBodyOfItem(item)).kpi;
  if (!k) return undefined;
  return { channel: item.channel, at: k.at, figures: k.figures };
}

interface Target {
  /** the figures' place: an hour of a day item, a day rollup, a month rollup */
  id: string;
  /** the counter item */
  item: string;
  key: Key;
  attrs: Record<string, string>;
  prefix: string;
}

function targetsOf(k: OrderKpi, zone: string): Target[] {
  const hour = hourBucket(k.at);
  const utcDay = hour.slice(0, 10);
  const day = localDateAt(Date.parse(k.at), zone);
  const month = day.slice(0, 7);
  // ids are JSON arrays: a channel holding a separator could not make two targets one
  return [
    {
      id: JSON.stringify(['H', k.channel, hour]),
      item: JSON.stringify(['U', k.channel, utcDay]),
      key: keys.kpiHours(k.channel, utcDay, 0),
      attrs: { type: 'kpi-hours', channel: k.channel, day: utcDay },
      prefix: `T${hour.slice(11, 13)}:`,
    },
    {
      id: JSON.stringify(['D', k.channel, day]),
      item: JSON.stringify(['D', k.channel, day]),
      key: keys.kpiDay(k.channel, zone, day),
      attrs: { type: 'kpi-day', channel: k.channel, day, zone },
      prefix: '',
    },
    {
      id: JSON.stringify(['M', k.channel, month]),
      item: JSON.stringify(['M', k.channel, month]),
      key: keys.kpiMonth(k.channel, zone, month),
      attrs: { type: 'kpi-month', channel: k.channel, month, zone },
      prefix: '',
    },
  ];
}

/** A record the fold could not read (its order item does not give a KPI contribution). */
export interface SkippedChange {
  seq: string;
  pk: string;
  error: string;
}

/**
 * Every counter a batch of order changes touches, with each record's (non-zero) change to it.
 * A record whose images cannot be read is left out and reported in `skipped`, rather than thrown:
 * a throw would retry the batch until its records leave the stream (24 h), stalling every KPI on
 * the shard for one bad item. The skip is logged, counted and alarmed on (fold function).
 */
export function planKpiFold(
  changes: StreamChange[],
  zone: string,
  skipped: SkippedChange[] = [],
  /** records (padded sequence numbers, padSeq) that took a stock balance below zero available, once per balance */
  oversells: ReadonlyMap<string, number> = new Map(),
): CounterPlan[] {
  const plans = new Map<string, CounterPlan>();
  for (const c of changes) {
    const deltas: Record<string, Partial<KpiFigures>> = {};
    const where = new Map<string, Target>();
    const add = (k: OrderKpi | undefined, sign: 1 | -1) => {
      if (!k) return;
      for (const t of targetsOf(k, zone)) {
        where.set(t.id, t);
        addFigures(deltas, t.id, k.figures, sign);
      }
    };
    let seq: string;
    try {
      seq = padSeq(c.seq);
      add(kpiOfOrderItem(c.oldImage), -1);
      const now = kpiOfOrderItem(c.newImage);
      add(now, 1);
      // a customer's first order moving (shared/kpi/customers.ts): re-marked where it was and is
      add(kpiOfCustomerItem(c.oldImage), -1);
      add(kpiOfCustomerItem(c.newImage), 1);
      // a customer's purchases of a product (shared/kpi/upsell.ts): every repeat re-judged where it is
      for (const k of kpiOfProductItem(c.oldImage)) add(k, -1);
      for (const k of kpiOfProductItem(c.newImage)) add(k, 1);
      // a completed draft order's sales cycle (shared/kpi/sales-cycle.ts)
      add(kpiOfDraftItem(c.oldImage), -1);
      add(kpiOfDraftItem(c.newImage), 1);
      // the oversells this change caused count where the order does (its creation hour)
      const n = oversells.get(seq) ?? 0;
      if (now && n > 0) add({ ...now, figures: { ...emptyFigures(), oversells: n } }, 1);
    } catch (err) {
      skipped.push({ seq: c.seq, pk: String(c.newImage?.pk ?? c.oldImage?.pk ?? ''), error: (err as Error).message });
      continue;
    }
    for (const [id, d] of Object.entries(deltas)) {
      const delta = pruneFigures(d);
      if (!delta) continue;
      const t = where.get(id)!;
      let p = plans.get(t.item);
      if (!p) plans.set(t.item, (p = { key: t.key, attrs: t.attrs, changes: [] }));
      p.changes.push({ seq, delta, prefix: t.prefix });
    }
  }
  return [...plans.values()];
}

/** The sum of the changes above a watermark, as counter attributes (zeros left out). */
export function sumAbove(
  plan: CounterPlan,
  watermark: string | undefined,
): { adds: Record<string, number>; lastSeq?: string } {
  const total: Record<string, Partial<KpiFigures>> = {};
  let lastSeq: string | undefined;
  for (const ch of plan.changes) {
    if (watermark !== undefined && ch.seq <= watermark) continue;
    addFigures(total, ch.prefix, ch.delta, 1);
    if (lastSeq === undefined || ch.seq > lastSeq) lastSeq = ch.seq;
  }
  const adds: Record<string, number> = {};
  for (const [prefix, sum] of Object.entries(total)) {
    const d = pruneFigures(sum) ?? {};
    for (const f of KPI_COUNT_FIELDS) if (d[f]) adds[`${prefix}${f}`] = d[f]!;
    for (const f of KPI_CURRENCY_FIELDS)
      for (const [cur, v] of Object.entries(d[f] ?? {})) adds[`${prefix}${f}_${cur}`] = v;
  }
  return lastSeq === undefined ? { adds } : { adds, lastSeq };
}
