import type { BalanceRow } from '#shared/inventory/ports.ts';
import { z } from 'zod';
import type { ApiKeyRecord } from '#shared/aws/api-keys.ts';
import { canSeeChannel, requireScope, visibleLocations } from '#shared/http/auth.ts';
import { parseInput } from '#shared/http/api.ts';
import { HttpError } from '#shared/http/errors.ts';
import type { ChannelConfig } from '#shared/inventory/channel-config.ts';
import type { ChannelPort } from '#shared/inventory/ports.ts';
import {
  addInto,
  emptySums,
  growthOf,
  measuresOf,
  revenueShareOf,
  sumsOfItem,
  type Growth,
  type Measures,
  type Sums,
} from '#shared/kpi/measures.ts';
import {
  GRANULARITIES,
  HOUR_MS,
  addDays,
  addYears,
  hourKey,
  hourMs,
  isTimeZone,
  nextPeriodStart,
  periodStart,
  parseLocalDate,
  periodsOf,
  QUERY_MAX_DATE,
  QUERY_MIN_DATE,
  previousRangeOf,
  spanHoursMs,
  type DateSpan,
  type Granularity,
  type Period,
} from '#shared/kpi/periods.ts';
import { evaluateStandards, type StandardsResult } from '#shared/kpi/standards.ts';
import { assignReservations, UNASSIGNED_LOCATION } from '#shared/inventory/locations.ts';

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

// ---------------------------------------------------------------------------------------------
// ports

export interface KpiCounterQuery {
  channel: string;
  /** UTC month of the partition, `YYYY-MM` */
  month: string;
  shard: number;
  /** first and last hour bucket, inclusive, `YYYY-MM-DDTHH` (UTC) */
  fromHour: string;
  toHour: string;
}

export interface KpiReadPort {
  readonly shards: number;
  /** the counter items of one partition between two hours */
  counters(q: KpiCounterQuery): Promise<Record<string, unknown>[]>;
  /** the zone the fold cuts day and month rollups in; undefined before the first fold */
  rollupZone?(): Promise<string | undefined>;
  /** day rollups of one channel and year, `fromDay`..`toDay` inclusive (same year) */
  days?(q: { channel: string; zone: string; fromDay: string; toDay: string }): Promise<Record<string, unknown>[]>;
  /** month rollups of one channel, `fromMonth`..`toMonth` inclusive (`YYYY-MM`) */
  months?(q: { channel: string; zone: string; fromMonth: string; toMonth: string }): Promise<Record<string, unknown>[]>;
}

/** a balance as the stock read side serves it, without its change-feed position */
export type StockAlertRow = Omit<BalanceRow, 'feedSk'>;

export interface StockAlertsPort {
  /** balances with available ≤ threshold, reading at most `maxScanned` balances */
  lowBalances(q: {
    threshold: number;
    locations?: readonly string[];
    maxScanned: number;
  }): Promise<{ rows: StockAlertRow[]; truncated: boolean }>;
  /** every balance of one SKU (to judge reservations that named no location against its total) */
  balancesOf(sku: string): Promise<StockAlertRow[]>;
}

export interface KpiDeps {
  kpi: KpiReadPort;
  channels: ChannelPort;
  stockAlerts: StockAlertsPort;
  /** the merchant's default zone (HUB_MERCHANT_TIME_ZONE); UTC when unset */
  merchantTimeZone?: string;
  /** queries in flight at once (default 16): parallel enough to be quick, few enough not to throttle */
  concurrency?: number;
}

// ---------------------------------------------------------------------------------------------
// input

/**
 * Largest answer: periods × channels. Each cell is ~0.7 KB of JSON and Lambda answers at most
 * 6 MB, so five years of days across many channels must be asked coarser or per channel.
 */
export const MAX_CELLS = 5_000;

const DateSchema = z
  .string()
  .refine(
    (s) => parseLocalDate(s) !== undefined && s >= QUERY_MIN_DATE && s <= QUERY_MAX_DATE,
    `must be a calendar date YYYY-MM-DD from ${QUERY_MIN_DATE} to ${QUERY_MAX_DATE}`,
  );

const QuerySchema = z
  .object({
    from: DateSchema,
    to: DateSchema,
    granularity: z.enum(GRANULARITIES).default('month'),
    tz: z.string().refine(isTimeZone, 'not an IANA time zone (e.g. "Europe/Berlin")').optional(),
    channels: z
      .string()
      .transform((s) => [
        ...new Set(
          s
            .split(',')
            .map((c) => c.trim())
            .filter(Boolean),
        ),
      ])
      .optional(),
  })
  .superRefine((q, ctx) => {
    if (!DateSchema.safeParse(q.from).success || !DateSchema.safeParse(q.to).success) return;
    if (q.from > q.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
    // "over 5 years": 2021-01-01..2025-12-31 is allowed, ..2026-01-01 is not
    else if (q.to >= addYears(q.from, 5))
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'the range may span at most 5 years' });
  });
export type KpiQuery = z.infer<typeof QuerySchema>;

export function parseKpiQuery(raw: Record<string, string | undefined>): KpiQuery {
  return parseInput(QuerySchema, raw, 'invalid_query');
}

// ---------------------------------------------------------------------------------------------
// reading counters

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
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

// ---------------------------------------------------------------------------------------------
// answers

export interface PeriodAnswer extends Measures {
  label?: string;
  from: string;
  to: string;
  complete?: boolean;
  /** share of the period's revenue across the channels in the answer (multi-channel answer only) */
  revenueShare?: Record<string, number>;
  growth: Growth & { previous: DateSpan };
}

export interface ChannelAnswer {
  channel: string;
  partner: string | null;
  total: PeriodAnswer;
  periods: PeriodAnswer[];
  /** null when the channel has no standards configured */
  standards: StandardsResult | null;
}

interface Plan {
  range: DateSpan;
  granularity: Granularity;
  timeZone: string;
  periods: Period[];
  months: Period[];
  previousRange: DateSpan;
  window: { startMs: number; endMs: number };
}

function plan(q: KpiQuery, timeZone: string): Plan {
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

interface ChannelFigures {
  channel: ChannelConfig;
  total: Sums;
  previousTotal: Sums;
  periods: { period: Period; sums: Sums; previous: Sums }[];
  months: { label: string; sums: Sums }[];
}

async function figures(deps: KpiDeps, p: Plan, channels: ChannelConfig[]): Promise<ChannelFigures[]> {
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

function answerOf(
  span: DateSpan,
  sums: Sums,
  previous: Sums,
  previousSpan: DateSpan,
  extra: Partial<PeriodAnswer> = {},
): PeriodAnswer {
  return {
    ...extra,
    from: span.from,
    to: span.to,
    ...measuresOf(sums),
    growth: { previous: previousSpan, ...growthOf(sums, previous) },
  };
}

function standardsOf(f: ChannelFigures): StandardsResult | null {
  return evaluateStandards(f.channel.standards, { total: f.total, months: f.months }) ?? null;
}

function checkSize(periods: number, channels: number): void {
  if (periods * channels > MAX_CELLS) {
    throw new HttpError(
      400,
      'too_many_periods',
      `${periods} periods × ${channels} channel(s) exceeds ${MAX_CELLS}; ask a coarser granularity, a shorter range or fewer channels (channels=a,b)`,
    );
  }
}

export interface ChannelsKpiAnswer {
  from: string;
  to: string;
  granularity: Granularity;
  timeZone: string;
  channels: ChannelAnswer[];
}

/**
 * The channels a key may see: those the channel port lists (configured or connected) that the key
 * may see, plus any its key names explicitly.
 */
async function visibleChannels(deps: KpiDeps, key: ApiKeyRecord): Promise<ChannelConfig[]> {
  const configured = (await deps.channels.list()).filter((c) =>
    canSeeChannel(key, { channel: c.channel, partner: c.partner ?? null }),
  );
  const names = new Set(configured.map((c) => c.channel));
  // a key may name a channel no config item exists for yet: its counters are still readable
  for (const c of key.channels ?? [])
    if (!names.has(c)) configured.push({ channel: c, allocation: {} } as ChannelConfig);
  return configured.sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
}

/** GET /v1/kpis/channels */
export async function readChannelsKpis(
  deps: KpiDeps,
  key: ApiKeyRecord,
  raw: Record<string, string | undefined>,
): Promise<ChannelsKpiAnswer> {
  const q = parseKpiQuery(raw);
  // one zone for every channel, so their periods line up and shares add up to 1
  const timeZone = q.tz ?? deps.merchantTimeZone ?? 'UTC';
  let channels = await visibleChannels(deps, key);
  if (q.channels) {
    const byName = new Map(channels.map((c) => [c.channel, c]));
    // a hub-wide key may read any channel by name, also one with counters but no connection or
    // configuration left (its figures are still the merchant's)
    if (key.partner === null && !key.channels)
      for (const c of q.channels) if (!byName.has(c)) byName.set(c, { channel: c, allocation: {} } as ChannelConfig);
    const hidden = q.channels.filter((c) => !byName.has(c));
    if (hidden.length > 0)
      throw new HttpError(403, 'forbidden', `this API key may not read channel(s) ${hidden.join(', ')}`);
    channels = q.channels.map((c) => byName.get(c)!);
  }
  const p = plan(q, timeZone);
  checkSize(p.periods.length + 1, Math.max(1, channels.length));
  const figs = await figures(deps, p, channels);

  // shares are across the channels in this answer: a partner key sees its own channels' split,
  // never a total that would reveal other partners' revenue
  const allTotal = figs.reduce((s, f) => addInto(s, f.total), emptySums());
  const allPeriods = p.periods.map((_, i) => figs.reduce((s, f) => addInto(s, f.periods[i]!.sums), emptySums()));

  return {
    from: p.range.from,
    to: p.range.to,
    granularity: p.granularity,
    timeZone,
    channels: figs.map((f) => ({
      channel: f.channel.channel,
      partner: f.channel.partner ?? null,
      total: answerOf(p.range, f.total, f.previousTotal, p.previousRange, {
        revenueShare: revenueShareOf(f.total, allTotal),
      }),
      periods: f.periods.map((x, i) =>
        answerOf(x.period, x.sums, x.previous, x.period.previous, {
          label: x.period.label,
          complete: x.period.complete,
          revenueShare: revenueShareOf(x.sums, allPeriods[i]!),
        }),
      ),
      standards: standardsOf(f),
    })),
  };
}

export interface ChannelSeriesAnswer extends ChannelAnswer {
  from: string;
  to: string;
  granularity: Granularity;
  timeZone: string;
}

/**
 * GET /v1/kpis/channels/{channel}: the same measures as a time series for one channel. Its zone
 * is `tz`, else the channel's configured `timeZone`, else the merchant's. No revenue share: that
 * would need every other channel read too.
 */
export async function readChannelSeries(
  deps: KpiDeps,
  key: ApiKeyRecord,
  channelName: string,
  raw: Record<string, string | undefined>,
): Promise<ChannelSeriesAnswer> {
  const q = parseKpiQuery(raw);
  if (q.channels) throw new HttpError(400, 'invalid_query', 'channels= applies to /v1/kpis/channels only');
  const config = (await deps.channels.list()).find((c) => c.channel === channelName);
  const channel: ChannelConfig = config ?? ({ channel: channelName, allocation: {} } as ChannelConfig);
  if (!canSeeChannel(key, { channel: channelName, partner: config?.partner ?? null })) {
    throw new HttpError(403, 'forbidden', `this API key may not read channel ${channelName}`);
  }
  const channelZone = config?.timeZone && isTimeZone(config.timeZone) ? config.timeZone : undefined;
  const timeZone = q.tz ?? channelZone ?? deps.merchantTimeZone ?? 'UTC';
  const p = plan(q, timeZone);
  checkSize(p.periods.length, 1);
  const [f] = await figures(deps, p, [channel]);
  return {
    channel: channelName,
    partner: channel.partner ?? null,
    from: p.range.from,
    to: p.range.to,
    granularity: p.granularity,
    timeZone,
    total: answerOf(p.range, f!.total, f!.previousTotal, p.previousRange),
    periods: f!.periods.map((x) =>
      answerOf(x.period, x.sums, x.previous, x.period.previous, { label: x.period.label, complete: x.period.complete }),
    ),
    standards: standardsOf(f!),
  };
}

// ---------------------------------------------------------------------------------------------
// stock alerts

const AlertsQuerySchema = z.object({
  threshold: z.coerce.number().int().min(0).max(1_000_000).default(5),
  limit: z.coerce.number().int().min(1).max(1_000).default(200),
});

/**
 * Balances read per request at most. Listing low stock reads every balance (see kpi-repo.ts);
 * this caps one request's cost, and the answer says `truncated` when it stopped early.
 */
export const MAX_BALANCES_SCANNED = 50_000;

export interface StockAlertsAnswer {
  threshold: number;
  /** balances with available < 0 (sold more than there is), most oversold first */
  oversold: StockAlertRow[];
  /** balances with 0 ≤ available ≤ threshold, lowest first */
  lowStock: StockAlertRow[];
  truncated: boolean;
}

/** GET /v1/kpis/stock-alerts: current oversells and low stock, within the key's locations. */
export async function readStockAlerts(
  deps: KpiDeps,
  key: ApiKeyRecord,
  raw: Record<string, string | undefined>,
): Promise<StockAlertsAnswer> {
  // the answer lists balances (on hand, reserved, available) as GET /v1/stock does, and a high
  // threshold lists all of them: the same scope as the stock API, not KPI access alone
  requireScope(key, 'stock:read');
  const q = parseInput(AlertsQuerySchema, raw, 'invalid_query');
  const locations = visibleLocations(key);
  if (locations && locations.length === 0)
    return { threshold: q.threshold, oversold: [], lowStock: [], truncated: false };
  const { rows: found, truncated } = await deps.stockAlerts.lowBalances({
    threshold: q.threshold,
    maxScanned: MAX_BALANCES_SCANNED,
    ...(locations ? { locations } : {}),
  });
  const rows = await withUnassignedResolved(deps.stockAlerts, found, q.threshold);
  const order = (a: StockAlertRow, b: StockAlertRow) =>
    a.available - b.available || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.location < b.location ? -1 : 1);
  const sorted = rows.filter((r) => r.available <= q.threshold).sort(order);
  const oversold = sorted.filter((r) => r.available < 0);
  const lowStock = sorted.filter((r) => r.available >= 0);
  return {
    threshold: q.threshold,
    oversold: oversold.slice(0, q.limit),
    lowStock: lowStock.slice(0, q.limit),
    truncated: truncated || oversold.length > q.limit || lowStock.length > q.limit,
  };
}

/**
 * A balance at UNASSIGNED_LOCATION holds reservations of orders that named no location: it is
 * never an alert of its own (shared/inventory/locations.ts). Its SKU is judged on all its
 * balances: a SKU stocked at one location shows the reservation there; otherwise one row for the
 * SKU as a whole (location `*`) with its total available, when that is at or below the threshold.
 */
async function withUnassignedResolved(
  port: StockAlertsPort,
  rows: StockAlertRow[],
  threshold: number,
): Promise<StockAlertRow[]> {
  const skus = [...new Set(rows.filter((r) => r.location === UNASSIGNED_LOCATION).map((r) => r.sku))];
  if (skus.length === 0) return rows;
  const resolved = new Map<string, StockAlertRow[]>();
  await Promise.all(
    skus.map(async (sku) => {
      const all = await port.balancesOf(sku);
      const { locations, unassignedReserved } = assignReservations(all);
      const out = locations.filter((l) => l.available <= threshold);
      if (unassignedReserved > 0) {
        const total = locations.reduce((n, l) => n + l.available, 0) - unassignedReserved;
        const latest = all.reduce((t, l) => (l.updatedAt > t ? l.updatedAt : t), '');
        const onHand = locations.reduce((n, l) => n + l.onHand, 0);
        const reserved = locations.reduce((n, l) => n + l.reserved, 0) + unassignedReserved;
        if (total <= threshold)
          out.push({ sku, location: UNASSIGNED_LOCATION, onHand, reserved, available: total, updatedAt: latest });
      }
      resolved.set(sku, out);
    }),
  );
  return [...rows.filter((r) => !resolved.has(r.sku)), ...[...resolved.values()].flat()];
}
