import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addDays,
  addYears,
  dayStartHourMs,
  isTimeZone,
  isoWeek,
  localDateAt,
  parseLocalDate,
  periodLabel,
  periodStart,
  periodsOf,
  previousRangeOf,
  spanHoursMs,
} from '#shared/kpi/periods.ts';

const H = 3_600_000;
const utc = (iso: string) => Date.parse(iso);

describe('calendar periods', () => {
  it('rejects impossible dates and accepts real ones', () => {
    expect(parseLocalDate('2026-02-29')).toBeUndefined();
    expect(parseLocalDate('2028-02-29')).toEqual({ y: 2028, m: 2, d: 29 });
    expect(parseLocalDate('2026-13-01')).toBeUndefined();
    expect(parseLocalDate('26-01-01')).toBeUndefined();
    expect(parseLocalDate('1969-12-31')).toBeUndefined();
  });

  it('starts ISO weeks on Monday and numbers them by their Thursday', () => {
    // 2026-01-01 is a Thursday: its week starts Monday 2025-12-29 and is week 1 of 2026
    expect(periodStart('2026-01-01', 'week')).toBe('2025-12-29');
    expect(periodLabel('2025-12-29', 'week')).toBe('2026-W01');
    // 2027-01-01 is a Friday: it belongs to the last week (53) of 2026
    expect(isoWeek('2027-01-01')).toEqual({ year: 2026, week: 53 });
    expect(periodStart('2026-03-08', 'week')).toBe('2026-03-02'); // a Sunday belongs to the week before
  });

  it('labels months, quarters and years', () => {
    expect(periodStart('2026-08-19', 'quarter')).toBe('2026-07-01');
    expect(periodLabel('2026-07-01', 'quarter')).toBe('2026-Q3');
    expect(periodLabel('2026-07-01', 'month')).toBe('2026-07');
    expect(periodLabel('2026-01-01', 'year')).toBe('2026');
  });

  it('clips the first and last period to the range and compares clipped ones with as many days before', () => {
    // Act
    const ps = periodsOf({ from: '2028-01-15', to: '2028-03-15' }, 'month');

    // Assess
    expect(ps.map((p) => [p.label, p.from, p.to, p.complete])).toEqual([
      ['2028-01', '2028-01-15', '2028-01-31', false],
      ['2028-02', '2028-02-01', '2028-02-29', true],
      ['2028-03', '2028-03-01', '2028-03-15', false],
    ]);
    expect(ps[1]!.previous).toEqual({ from: '2028-01-01', to: '2028-01-31' });
    expect(ps[2]!.previous).toEqual({ from: '2028-02-15', to: '2028-02-29' });
    expect(ps[0]!.previous).toEqual({ from: '2027-12-29', to: '2028-01-14' });
  });

  it.each([
    [
      'a quarter with the quarter before',
      { from: '2026-01-01', to: '2026-03-31' },
      { from: '2025-10-01', to: '2025-12-31' },
    ],
    [
      'a month with the month before, whatever their lengths',
      { from: '2026-03-01', to: '2026-03-31' },
      { from: '2026-02-01', to: '2026-02-28' },
    ],
    [
      'a leap February with January',
      { from: '2028-02-01', to: '2028-02-29' },
      { from: '2028-01-01', to: '2028-01-31' },
    ],
    ['a year with the year before', { from: '2026-01-01', to: '2026-12-31' }, { from: '2025-01-01', to: '2025-12-31' }],
    [
      'two whole months with the two before',
      { from: '2026-02-01', to: '2026-03-31' },
      { from: '2025-12-01', to: '2026-01-31' },
    ],
    [
      'a range that is not whole months with as many days before',
      { from: '2026-01-01', to: '2026-03-30' },
      { from: '2025-10-04', to: '2025-12-31' },
    ],
    [
      'a range starting mid-month with as many days before',
      { from: '2026-01-15', to: '2026-02-28' },
      { from: '2025-12-01', to: '2026-01-14' },
    ],
  ])('compares a whole range: %s', (_name, range, previous) => {
    // Act
    const got = previousRangeOf(range);

    // Assess
    expect(got).toEqual(previous);
  });

  it('does calendar arithmetic on dates', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addYears('2028-02-29', 1)).toBe('2029-02-28');
  });
});

describe('UTC hour buckets of local days', () => {
  it('cuts UTC days at midnight UTC', () => {
    expect(dayStartHourMs('2026-03-08', 'UTC')).toBe(utc('2026-03-08T00:00:00Z'));
  });

  it('gives New York a 23-hour day when DST starts and a 25-hour day when it ends', () => {
    const spring = spanHoursMs({ from: '2026-03-08', to: '2026-03-08' }, 'America/New_York');
    expect(spring.startMs).toBe(utc('2026-03-08T05:00:00Z'));
    expect((spring.endMs - spring.startMs) / H).toBe(23);
    const autumn = spanHoursMs({ from: '2026-11-01', to: '2026-11-01' }, 'America/New_York');
    expect(autumn.startMs).toBe(utc('2026-11-01T04:00:00Z'));
    expect((autumn.endMs - autumn.startMs) / H).toBe(25);
  });

  it('gives a half-hour zone the bucket that straddles midnight to the day its start falls on', () => {
    // Kolkata is UTC+5:30: local midnight of 2 January is 18:30 UTC on 1 January. The bucket
    // 18:00-19:00 UTC starts at 23:30 local (1 January); 19:00 UTC (00:30 local) is 2 January's first.
    expect(dayStartHourMs('2026-01-02', 'Asia/Kolkata')).toBe(utc('2026-01-01T19:00:00Z'));
    expect(localDateAt(utc('2026-01-01T18:00:00Z'), 'Asia/Kolkata')).toBe('2026-01-01');
    // Kathmandu, UTC+5:45: midnight is 18:15 UTC, so again 19:00 UTC
    expect(dayStartHourMs('2026-01-02', 'Asia/Kathmandu')).toBe(utc('2026-01-01T19:00:00Z'));
  });

  it('tiles time without gaps in any zone: each day is 22-26 whole hours whose starts fall on it', () => {
    const zones = [
      'UTC',
      'America/New_York',
      'Europe/Berlin',
      'Asia/Kolkata',
      'Asia/Kathmandu',
      'Australia/Lord_Howe',
      'America/Santiago',
      'Pacific/Chatham',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.integer({ min: 0, max: 365 * 30 }), (tz, n) => {
        const d = addDays('2010-01-01', n);
        const start = dayStartHourMs(d, tz);
        const next = dayStartHourMs(addDays(d, 1), tz);
        expect(start % H).toBe(0);
        expect(localDateAt(start, tz) >= d).toBe(true);
        expect(localDateAt(start - H, tz) < d).toBe(true);
        expect((next - start) / H).toBeGreaterThanOrEqual(22);
        expect((next - start) / H).toBeLessThanOrEqual(26);
      }),
      { numRuns: 300 },
    );
  });

  it('knows IANA zones', () => {
    expect(isTimeZone('Asia/Kolkata')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});
