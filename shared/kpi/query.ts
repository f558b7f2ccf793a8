import { z } from 'zod';
import { parseInput } from '#shared/http/api.ts';
import { HttpError } from '#shared/http/errors.ts';
import {
  GRANULARITIES,
  addYears,
  isTimeZone,
  parseLocalDate,
  QUERY_MAX_DATE,
  QUERY_MIN_DATE,
} from '#shared/kpi/periods.ts';

/** The KPI API's query string: range, granularity, zone and channels, validated at the edge. */

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

export function checkSize(periods: number, channels: number): void {
  if (periods * channels > MAX_CELLS) {
    throw new HttpError(
      400,
      'too_many_periods',
      `${periods} periods × ${channels} channel(s) exceeds ${MAX_CELLS}; ` +
        'ask a coarser granularity, a shorter range or fewer channels (channels=a,b)',
    );
  }
}
