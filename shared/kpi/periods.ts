/**
 * Calendar periods in a time zone, and which UTC hour buckets belong to them (pure).
 *
 * KPI counters are kept per UTC hour (shared/table/keys.ts). A period of the caller's calendar
 * (a day, ISO week, month, quarter or year in zone Z) is the set of hour buckets whose *start*,
 * read in Z, falls on one of the period's local dates:
 *  - whole-hour offsets (UTC, America/New_York, Europe/Berlin…) cut exactly, DST included: each
 *    local midnight is found with Intl for that very date, so a 23- or 25-hour day is 23 or 25
 *    buckets;
 *  - 30/45-minute offsets (Asia/Kolkata +5:30, Asia/Kathmandu +5:45…) cannot be cut exactly from
 *    hourly buckets: the bucket that straddles local midnight belongs to the day its start falls on.
 *    In Kolkata the bucket 18:00–19:00 UTC is 23:30–00:30 local and counts for the earlier day, so
 *    orders placed 00:00–00:29 local land on the previous day. Exact cuts there would need
 *    quarter-hour buckets or rollups in the merchant's zone (docs/architecture.md).
 * A period's UTC range is therefore [first bucket of its first date, first bucket of the next
 * period), always whole hours, and consecutive periods tile the timeline without gap or overlap.
 */

export const GRANULARITIES = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** A calendar date, `YYYY-MM-DD`, with no zone attached. */
export type LocalDate = string;

export const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Dates the calendar arithmetic handles: wide enough for any shop's history, narrow enough for 4-digit years. */
export const MIN_DATE = '1970-01-01';
export const MAX_DATE = '2199-12-31';

/**
 * Dates a KPI request may name. Narrower than MIN_DATE..MAX_DATE on purpose: an answer also reads
 * the periods its growth compares against (up to a 5-year range's length earlier) and computes the
 * start of the period after its last one, so both ends need decades of room inside the arithmetic's
 * range; a request at the very edge would otherwise fail deep in the computation.
 */
export const QUERY_MIN_DATE = '2000-01-01';
export const QUERY_MAX_DATE = '2099-12-31';

/** The date's y/m/d when it is a real calendar date in range, else undefined. */
export function parseLocalDate(s: string): { y: number; m: number; d: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return undefined;
  if (s < MIN_DATE || s > MAX_DATE) return undefined;
  return { y, m: mo, d };
}

function parts(date: LocalDate): { y: number; m: number; d: number } {
  const p = parseLocalDate(date);
  if (!p) throw new RangeError(`not a date: ${date}`);
  return p;
}

function fmt(y: number, m: number, d: number): LocalDate {
  // Date.UTC normalizes overflowing months and days (month 13 → January of the next year)
  return new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10);
}

/** The date n days later (negative: earlier); calendar arithmetic, no zone involved. */
export function addDays(date: LocalDate, n: number): LocalDate {
  const { y, m, d } = parts(date);
  return fmt(y, m, d + n);
}

/** b − a in days. */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  const pa = parts(a);
  const pb = parts(b);
  return Math.round((Date.UTC(pb.y, pb.m - 1, pb.d) - Date.UTC(pa.y, pa.m - 1, pa.d)) / DAY_MS);
}

/** The same day n years later; 29 February becomes 28 February in a common year. */
export function addYears(date: LocalDate, n: number): LocalDate {
  const { y, m, d } = parts(date);
  const last = new Date(Date.UTC(y + n, m, 0)).getUTCDate();
  return fmt(y + n, m, Math.min(d, last));
}

/** The first date of the calendar period containing `date`. Weeks are ISO weeks: Monday first. */
export function periodStart(date: LocalDate, g: Granularity): LocalDate {
  const { y, m, d } = parts(date);
  switch (g) {
    case 'day':
      return date;
    case 'week': {
      const dow = new Date(Date.UTC(y, m - 1, d)).getUTCDay(); // 0 = Sunday
      return fmt(y, m, d - ((dow + 6) % 7));
    }
    case 'month':
      return fmt(y, m, 1);
    case 'quarter':
      return fmt(y, m - ((m - 1) % 3), 1);
    case 'year':
      return fmt(y, 1, 1);
  }
}

/** The first date of the period after the one starting at `start`. */
export function nextPeriodStart(start: LocalDate, g: Granularity): LocalDate {
  const { y, m, d } = parts(start);
  switch (g) {
    case 'day':
      return fmt(y, m, d + 1);
    case 'week':
      return fmt(y, m, d + 7);
    case 'month':
      return fmt(y, m + 1, 1);
    case 'quarter':
      return fmt(y, m + 3, 1);
    case 'year':
      return fmt(y + 1, 1, 1);
  }
}

/** The first date of the period before the one starting at `start`. */
export function previousPeriodStart(start: LocalDate, g: Granularity): LocalDate {
  const { y, m, d } = parts(start);
  switch (g) {
    case 'day':
      return fmt(y, m, d - 1);
    case 'week':
      return fmt(y, m, d - 7);
    case 'month':
      return fmt(y, m - 1, 1);
    case 'quarter':
      return fmt(y, m - 3, 1);
    case 'year':
      return fmt(y - 1, 1, 1);
  }
}

/** ISO 8601 week-numbering year and week of a date. */
export function isoWeek(date: LocalDate): { year: number; week: number } {
  const { y, m, d } = parts(date);
  const t = new Date(Date.UTC(y, m - 1, d));
  const dow = (t.getUTCDay() + 6) % 7; // Monday 0
  // the Thursday of this week decides the year (ISO 8601)
  const thursday = new Date(t.getTime() + (3 - dow) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS));
  return { year, week };
}

/** `2026-03-04`, `2026-W10`, `2026-03`, `2026-Q1`, `2026`. */
export function periodLabel(start: LocalDate, g: Granularity): string {
  switch (g) {
    case 'day':
      return start;
    case 'week': {
      const w = isoWeek(start);
      return `${w.year}-W${String(w.week).padStart(2, '0')}`;
    }
    case 'month':
      return start.slice(0, 7);
    case 'quarter':
      return `${start.slice(0, 4)}-Q${Math.floor((Number(start.slice(5, 7)) - 1) / 3) + 1}`;
    case 'year':
      return start.slice(0, 4);
  }
}

/** A run of local dates, both ends inclusive. */
export interface DateSpan {
  from: LocalDate;
  to: LocalDate;
}

export interface Period extends DateSpan {
  label: string;
  /** false when the requested range cuts the calendar period (its first or last one) */
  complete: boolean;
  /** what its growth is measured against */
  previous: DateSpan;
}

/**
 * The calendar periods meeting [from, to], clipped to it. A complete period is compared with the
 * previous calendar period (March with February, Q2 with Q1, ISO week with the week before); a
 * clipped one with the span of as many days right before it ("the previous period of equal
 * length"): 1–15 March compares with 15–29 February (leap year), not with the whole of February.
 */
export function periodsOf(range: DateSpan, g: Granularity): Period[] {
  const out: Period[] = [];
  for (let start = periodStart(range.from, g); start <= range.to; start = nextPeriodStart(start, g)) {
    const end = addDays(nextPeriodStart(start, g), -1);
    const from = start < range.from ? range.from : start;
    const to = end > range.to ? range.to : end;
    const complete = from === start && to === end;
    const previous = complete
      ? { from: previousPeriodStart(start, g), to: addDays(start, -1) }
      : previousSpanOf({ from, to });
    out.push({ label: periodLabel(start, g), from, to, complete, previous });
  }
  return out;
}

/**
 * What a whole requested range's growth is compared with. A range of whole calendar months (a
 * month, a quarter, a year, any run of whole months) compares with as many whole months right
 * before it: Q1 with Q4 (1 Oct–31 Dec), not with the 90 days before 1 January, which would start
 * on 3 October and cut a day off the quarter a manager compares against. Any other range compares
 * with the same number of days right before it.
 */
export function previousRangeOf(range: DateSpan): DateSpan {
  const from = parts(range.from);
  const afterTo = addDays(range.to, 1);
  if (from.d === 1 && parts(afterTo).d === 1) {
    const to = parts(afterTo);
    const months = (to.y - from.y) * 12 + (to.m - from.m);
    return { from: fmt(from.y, from.m - months, 1), to: addDays(range.from, -1) };
  }
  return previousSpanOf(range);
}

/** The span of the same number of days right before `span`. */
export function previousSpanOf(span: DateSpan): DateSpan {
  const days = daysBetween(span.from, span.to) + 1;
  return { from: addDays(span.from, -days), to: addDays(span.from, -1) };
}

// ---------------------------------------------------------------------------------------------
// zones

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    // h23: some engines print midnight as "24" with hour12:false
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Whether Intl knows the zone (IANA names such as "Europe/Berlin", and "UTC"). */
export function isTimeZone(tz: string): boolean {
  if (tz.length === 0 || tz.length > 64) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock in `tz` at instant `ms`, as if it were a UTC time (ms). */
function wallClockMs(ms: number, tz: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(ms)))
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
}

/** The local date in `tz` at instant `ms`. */
export function localDateAt(ms: number, tz: string): LocalDate {
  return new Date(wallClockMs(ms, tz)).toISOString().slice(0, 10);
}

/**
 * The first UTC hour bucket (its start, in ms) that belongs to local date `date` or later: the
 * smallest whole hour h with localDateAt(h) ≥ date. For whole-hour zones this is local midnight
 * itself; for a 30/45-minute zone it is the first whole UTC hour after local midnight.
 */
export function dayStartHourMs(date: LocalDate, tz: string): number {
  const { y, m, d } = parts(date);
  const midnightAsUtc = Date.UTC(y, m - 1, d);
  // two passes: the offset at the guess, then at the corrected guess (settles across a DST change)
  let guess = midnightAsUtc - (wallClockMs(midnightAsUtc, tz) - midnightAsUtc);
  guess = midnightAsUtc - (wallClockMs(guess, tz) - guess);
  let h = Math.ceil(guess / HOUR_MS) * HOUR_MS;
  // a zone whose clocks skip midnight (a DST gap at 00:00) starts the day at 01:00: walk to it
  for (let i = 0; i < 48 && localDateAt(h - HOUR_MS, tz) >= date; i++) h -= HOUR_MS;
  for (let i = 0; i < 48 && localDateAt(h, tz) < date; i++) h += HOUR_MS;
  return h;
}

/** The UTC hour range [startMs, endMs) of a span of local dates. */
export function spanHoursMs(span: DateSpan, tz: string): { startMs: number; endMs: number } {
  return { startMs: dayStartHourMs(span.from, tz), endMs: dayStartHourMs(addDays(span.to, 1), tz) };
}

/** "2026-03-04T05" for an hour bucket's start. */
export function hourKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13);
}

/** The start (ms) of an hour bucket "2026-03-04T05". */
export function hourMs(hour: string): number {
  return Date.parse(`${hour}:00:00.000Z`);
}
