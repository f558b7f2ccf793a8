import { z } from 'zod';
import { parseLocalDate, QUERY_MAX_DATE, QUERY_MIN_DATE } from '#shared/kpi/periods.ts';

/**
 * The shape of partner-reported figures (POST /v1/channels/{channel}/figures), on its own so the
 * OpenAPI description can name it without bundling the use case (shared/kpi/figures.ts).
 */

const DateSchema = z
  .string()
  .refine(
    (s) => parseLocalDate(s) !== undefined && s >= QUERY_MIN_DATE && s <= QUERY_MAX_DATE,
    `must be a calendar date YYYY-MM-DD from ${QUERY_MIN_DATE} to ${QUERY_MAX_DATE}`,
  );
const Currency = z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. "USD"');
/** non-negative decimal string in major units (never a JSON number: no float rounding of money) */
const Amount = z
  .string()
  .regex(/^\d{1,12}(\.\d{1,3})?$/, 'a non-negative decimal string in major units, e.g. "1250.00"');

const Base = {
  /** the sender's idempotency key: a correction reuses it */
  key: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only'),
  /** the day the figure belongs to (its period), in the merchant's calendar */
  date: DateSchema,
};

export const COST_KINDS = ['marketingSpend', 'acquisitionCost', 'onboardingCost'] as const;
export type CostKind = (typeof COST_KINDS)[number];

export const FigureEntrySchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...Base, kind: z.enum(COST_KINDS), currency: Currency, amount: Amount }),
  z.strictObject({
    ...Base,
    kind: z.literal('pipeline'),
    /** the quarter the open opportunities are expected to close in */
    quarter: z.string().regex(/^\d{4}-Q[1-4]$/, 'a quarter, e.g. "2026-Q1"'),
    currency: Currency,
    amount: Amount,
    opportunities: z.number().int().min(0).max(1_000_000_000),
  }),
  z.strictObject({
    ...Base,
    kind: z.literal('satisfaction'),
    /** mean score of the responses on a 0–100 scale (CSAT percent; rescale 1–5 scores first) */
    score: z.number().min(0).max(100),
    responses: z.number().int().min(1).max(1_000_000_000),
  }),
]);
export type FigureEntry = z.infer<typeof FigureEntrySchema>;

export const MAX_ENTRIES_PER_REQUEST = 100;

export const FiguresBodySchema = z.strictObject({
  entries: z
    .array(FigureEntrySchema)
    .min(1)
    .max(MAX_ENTRIES_PER_REQUEST)
    .superRefine((entries, ctx) => {
      const seen = new Set<string>();
      entries.forEach((e, i) => {
        if (seen.has(e.key)) ctx.addIssue({ code: 'custom', path: [i, 'key'], message: 'repeated in this request' });
        seen.add(e.key);
      });
    }),
});
