import type { ChannelConfig } from '#shared/inventory/channel-config.ts';
import { addInto, emptySums, sumsOfItem, type Sums } from '#shared/kpi/measures.ts';
import {
  HOUR_MS,
  addDays,
  hourKey,
  hourMs,
  nextPeriodStart,
  periodStart,
  periodsOf,
  previousRangeOf,
  spanHoursMs,
  type DateSpan,
  type Granularity,
  type Period,
} from '#shared/kpi/periods.ts';
import type { KpiDeps } from '#shared/kpi/ports.ts';
import type { KpiQuery } from '#shared/kpi/query.ts';

/**
 * The KPI API's use cases: channel KPIs per calendar period, one channel's time series, and the
 * stock alerts the dashboard shows. Reads only counter items (never orders), so a period costs
 * the same whether it had ten orders or ten million.
 *
 * Cost of a request: the read window is the requested range plus the equally long span before it
 * (for growth). In the rollup zone (the zone the fold cuts day and month rollups in, normally the
 * merchant's) every span is tiled by the coarsest rollups: whole months, then loose days at its
 * ends — per channel one Query for the months and one per run of loose days, a few dozen items
 * for a year whatever the order volume (`npm run bench`, kpi-read: 10 queries and 60 items for
 * 365 days × 5 channels at 500 and at 5,000 orders). In any other zone the hour counters are read:
 * each (channel, UTC month) of the window is one Query with an sk range on `H#<hour>` (at most 744
 * small items), 24–26 queries per channel for a year, and the items read grow with the number of
 * hours that had orders.
 */

export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The (month, hour range) partitions covering [startMs, endMs): one per UTC month. */
export function monthSlices(startMs: number, endMs: number): { month: string; fromHour: string; toHour: string }[] {
  const out: { month: string; fromHour: string; toHour: string }[] = [];
  let cursor = startMs;
  while (cursor < endMs) {
    const d = new Date(cursor);
    const nextMonth = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    const last = Math.min(endMs, nextMonth) - HOUR_MS;
    out.push({ month: hourKey(cursor).slice(0, 7), fromHour: hourKey(cursor), toHour: hourKey(last) });
    cursor = nextMonth;
  }
  return out;
}

/** One channel's counter items in a window, as (hour start, sums) sorted by hour. */
interface HourRows {
  ms: number[];
  sums: Sums[];
}

async function readWindow(
  deps: KpiDeps,
  channels: string[],
  startMs: number,
  endMs: number,
): Promise<Map<string, HourRows>> {
  const slices = monthSlices(startMs, endMs);
  const queries = channels.flatMap((channel) =>
    slices.flatMap((s) => Array.from({ length: deps.kpi.shards }, (_, shard) => ({ channel, shard, ...s }))),
  );
  const results = await mapLimit(queries, deps.concurrency ?? 16, (q) => deps.kpi.counters(q));
  const byChannel = new Map<string, { ms: number; sums: Sums }[]>(channels.map((c) => [c, []]));
  results.forEach((items, i) => {
    const list = byChannel.get(queries[i]!.channel)!;
    for (const it of items) {
      if (typeof it.hour !== 'string') continue;
      list.push({ ms: hourMs(it.hour), sums: sumsOfItem(it) });
    }
  });
  const out = new Map<string, HourRows>();
  for (const [c, list] of byChannel) {
    list.sort((a, b) => a.ms - b.ms);
    out.set(c, { ms: list.map((x) => x.ms), sums: list.map((x) => x.sums) });
  }
  return out;
}

function lowerBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface Plan {
  range: DateSpan;
  granularity: Granularity;
  timeZone: string;
  periods: Period[];
  months: Period[];
  previousRange: DateSpan;
  window: { startMs: number; endMs: number };
}

export function plan(q: KpiQuery, timeZone: string): Plan {
  const range = { from: q.from, to: q.to };
  const periods = periodsOf(range, q.granularity);
  const previousRange = previousRangeOf(range);
  const earliest = [previousRange.from, ...periods.map((p) => p.previous.from)].sort()[0]!;
  const window = spanHoursMs({ from: earliest, to: range.to }, timeZone);
  return {
    range,
    granularity: q.granularity,
    timeZone,
    periods,
    months: periodsOf(range, 'month').filter((m) => m.complete),
    previousRange,
    window,
  };
}

/** Sums over spans of local dates, with each span's UTC bounds computed once. */
function spanSummer(timeZone: string) {
  const bounds = new Map<string, { startMs: number; endMs: number }>();
  return (rows: HourRows, span: DateSpan): Sums => {
    const k = `${span.from}|${span.to}`;
    let b = bounds.get(k);
    if (!b) bounds.set(k, (b = spanHoursMs(span, timeZone)));
    const s = emptySums();
    for (let i = lowerBound(rows.ms, b.startMs), end = lowerBound(rows.ms, b.endMs); i < end; i++)
      addInto(s, rows.sums[i]!);
    return s;
  };
}

export interface ChannelFigures {
  channel: ChannelConfig;
  total: Sums;
  previousTotal: Sums;
  periods: { period: Period; sums: Sums; previous: Sums }[];
  months: { label: string; sums: Sums }[];
}

export async function figures(deps: KpiDeps, p: Plan, channels: ChannelConfig[]): Promise<ChannelFigures[]> {
  const names = channels.map((c) => c.channel);
  const summers = (await rollupsApply(deps, p.timeZone))
    ? await rollupSummers(deps, p, names)
    : await hourSummers(deps, p, names);
  return channels.map((channel) => {
    const sum = summers.get(channel.channel)!;
    return {
      channel,
      total: sum(p.range),
      previousTotal: sum(p.previousRange),
      periods: p.periods.map((period) => ({ period, sums: sum(period), previous: sum(period.previous) })),
      months: p.months.map((m) => ({ label: m.label, sums: sum(m) })),
    };
  });
}

type Summer = (span: DateSpan) => Sums;

/** Hour counters (any zone with whole-hour offsets): the read window as UTC hours. */
async function hourSummers(deps: KpiDeps, p: Plan, channels: string[]): Promise<Map<string, Summer>> {
  const rows = await readWindow(deps, channels, p.window.startMs, p.window.endMs);
  const sum = spanSummer(p.timeZone);
  return new Map(channels.map((c) => [c, (span: DateSpan) => sum(rows.get(c)!, span)]));
}

/** Rollups are read when the request's zone is the zone the fold cuts them in. */
async function rollupsApply(deps: KpiDeps, timeZone: string): Promise<boolean> {
  if (!deps.kpi.rollupZone || !deps.kpi.days || !deps.kpi.months) return false;
  return (await deps.kpi.rollupZone()) === timeZone;
}

/**
 * A span of local dates as the coarsest rollups that tile it exactly: the whole months inside it
 * and the days before and after them.
 */
export function tileSpan(span: DateSpan): { months: string[]; days: DateSpan[] } {
  const months: string[] = [];
  const days: DateSpan[] = [];
  const firstWhole = span.from.endsWith('-01') ? span.from : nextPeriodStart(periodStart(span.from, 'month'), 'month');
  let cursor = firstWhole;
  // whole months: [cursor, start of next month) inside the span
  while (addDays(nextPeriodStart(cursor, 'month'), -1) <= span.to) {
    months.push(cursor.slice(0, 7));
    cursor = nextPeriodStart(cursor, 'month');
  }
  if (months.length === 0) {
    days.push(span);
    return { months, days };
  }
  if (span.from < firstWhole) days.push({ from: span.from, to: addDays(firstWhole, -1) });
  if (cursor <= span.to) days.push({ from: cursor, to: span.to });
  return { months, days };
}

/** Merges date spans that overlap or touch, and cuts them at year ends (one partition a year). */
export function dayQueries(spans: DateSpan[]): DateSpan[] {
  const sorted = [...spans].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const merged: DateSpan[] = [];
  for (const s of sorted) {
    const last = merged[merged.length - 1];
    if (last && s.from <= addDays(last.to, 1)) {
      if (s.to > last.to) last.to = s.to;
    } else merged.push({ ...s });
  }
  const out: DateSpan[] = [];
  for (const m of merged) {
    let from = m.from;
    while (from.slice(0, 4) < m.to.slice(0, 4)) {
      out.push({ from, to: `${from.slice(0, 4)}-12-31` });
      from = `${Number(from.slice(0, 4)) + 1}-01-01`;
    }
    out.push({ from, to: m.to });
  }
  return out;
}

/**
 * Day and month rollups in the rollup zone: per channel one Query for every month of the read
 * window, and one per run of loose days (the days before the first and after the last whole month
 * of each span), so a year costs a handful of queries and a few dozen items whatever the volume.
 */
async function rollupSummers(deps: KpiDeps, p: Plan, channels: string[]): Promise<Map<string, Summer>> {
  const spans: DateSpan[] = [p.range, p.previousRange, ...p.periods.flatMap((x) => [x, x.previous]), ...p.months];
  const tiles = new Map<string, { months: string[]; days: DateSpan[] }>();
  const allMonths = new Set<string>();
  const allDays: DateSpan[] = [];
  for (const s of spans) {
    const k = `${s.from}|${s.to}`;
    if (tiles.has(k)) continue;
    const t = tileSpan(s);
    tiles.set(k, t);
    t.months.forEach((m) => allMonths.add(m));
    allDays.push(...t.days);
  }
  const monthList = [...allMonths].sort();
  const dayList = dayQueries(allDays);
  type Q =
    | { channel: string; kind: 'months'; fromMonth: string; toMonth: string }
    | { channel: string; kind: 'days'; fromDay: string; toDay: string };
  const queries: Q[] = channels.flatMap((channel) => [
    ...(monthList.length
      ? [{ channel, kind: 'months' as const, fromMonth: monthList[0]!, toMonth: monthList[monthList.length - 1]! }]
      : []),
    ...dayList.map((d) => ({ channel, kind: 'days' as const, fromDay: d.from, toDay: d.to })),
  ]);
  const zone = p.timeZone;
  const results = await mapLimit(queries, deps.concurrency ?? 16, (q) =>
    q.kind === 'months'
      ? deps.kpi.months!({ channel: q.channel, zone, fromMonth: q.fromMonth, toMonth: q.toMonth })
      : deps.kpi.days!({ channel: q.channel, zone, fromDay: q.fromDay, toDay: q.toDay }),
  );
  const byChannel = new Map(
    channels.map((c) => [c, { months: new Map<string, Sums>(), days: new Map<string, Sums>() }]),
  );
  results.forEach((items, i) => {
    const q = queries[i]!;
    const into = byChannel.get(q.channel)!;
    for (const it of items) {
      if (q.kind === 'months' && typeof it.month === 'string') into.months.set(it.month, sumsOfItem(it));
      if (q.kind === 'days' && typeof it.day === 'string') into.days.set(it.day, sumsOfItem(it));
    }
  });
  return new Map(
    channels.map((c) => {
      const data = byChannel.get(c)!;
      const summer: Summer = (span) => {
        const t = tiles.get(`${span.from}|${span.to}`) ?? tileSpan(span);
        const s = emptySums();
        for (const m of t.months) {
          const x = data.months.get(m);
          if (x) addInto(s, x);
        }
        for (const d of t.days) {
          for (let day = d.from; day <= d.to; day = addDays(day, 1)) {
            const x = data.days.get(day);
            if (x) addInto(s, x);
          }
        }
        return s;
      };
      return [c, summer];
    }),
  );
}
