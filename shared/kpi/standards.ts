import { z } from 'zod';
import { fromMinor, toMinor } from '#shared/domain/money.ts';
import type { Sums } from '#shared/kpi/measures.ts';

/**
 * Per-channel standards (the channel config's `standards` field, shared/aws/channels.ts) and
 * their evaluation (pure). Every threshold is optional; a channel meets its standards when no
 * configured threshold fails over the requested range.
 *
 * Strict: a misspelt threshold ("maxCancelationRate") is reported as an invalid config rather than
 * silently never checked.
 */
export const ChannelStandardsSchema = z.strictObject({
  /** cancelled / placed orders over the range, e.g. 0.02 */
  maxCancellationRate: z.number().min(0).max(1).optional(),
  /** refund records per placed order over the range */
  maxRefundRate: z.number().min(0).optional(),
  /** mean hours from order to shipment over the range */
  maxMeanFulfilmentHours: z.number().positive().optional(),
  /** oversell events over the range */
  maxOversells: z.number().int().min(0).optional(),
  /** gross revenue in `currency` of every complete calendar month inside the range */
  minMonthlyRevenue: z
    .strictObject({
      currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code'),
      amount: z.string().regex(/^\d+(\.\d+)?$/, 'decimal string'),
    })
    .optional(),
});
export type ChannelStandards = z.infer<typeof ChannelStandardsSchema>;

export type StandardsMeasure = keyof ChannelStandards;

export interface Failure {
  measure: StandardsMeasure;
  threshold: number | { currency: string; amount: string };
  actual: number | { currency: string; amount: string };
  /** the month that missed a monthly threshold */
  period?: string;
}

export type StandardsResult =
  | {
      status: 'meets' | 'below';
      failing: Failure[];
      /** thresholds that could not be evaluated: no orders (rates), no shipments, no complete month */
      notEvaluated: StandardsMeasure[];
    }
  | { status: 'invalid_config'; message: string };

export interface StandardsInput {
  total: Sums;
  /** the complete calendar months inside the range, in the requested zone */
  months: { label: string; sums: Sums }[];
}

/** Evaluates a raw `standards` value from a channel config; undefined when none is configured. */
export function evaluateStandards(raw: unknown, input: StandardsInput): StandardsResult | undefined {
  if (raw === undefined || raw === null) return undefined;
  const parsed = ChannelStandardsSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      status: 'invalid_config',
      message: parsed.error.issues.map((i) => `${i.path.join('.') || 'standards'}: ${i.message}`).join('; '),
    };
  }
  const std = parsed.data;
  const t = input.total;
  const failing: Failure[] = [];
  const notEvaluated: StandardsMeasure[] = [];

  const rateCheck = (measure: StandardsMeasure, max: number | undefined, n: number, d: number) => {
    if (max === undefined) return;
    if (d <= 0) return void notEvaluated.push(measure);
    // compared as n > max·d, not n/d > max, so 2 of 100 against 0.02 is not failed by rounding
    if (n > max * d + 1e-9) failing.push({ measure, threshold: max, actual: Math.round((n / d) * 1e6) / 1e6 });
  };
  rateCheck('maxCancellationRate', std.maxCancellationRate, t.cancelled, t.orders);
  rateCheck('maxRefundRate', std.maxRefundRate, t.refunds, t.orders);
  if (std.maxMeanFulfilmentHours !== undefined) {
    if (t.fulfilled <= 0) notEvaluated.push('maxMeanFulfilmentHours');
    else if (t.fulfilSeconds > std.maxMeanFulfilmentHours * 3600 * t.fulfilled) {
      failing.push({
        measure: 'maxMeanFulfilmentHours',
        threshold: std.maxMeanFulfilmentHours,
        actual: Math.round((t.fulfilSeconds / t.fulfilled / 3600) * 100) / 100,
      });
    }
  }
  if (std.maxOversells !== undefined && t.oversells > std.maxOversells) {
    failing.push({ measure: 'maxOversells', threshold: std.maxOversells, actual: t.oversells });
  }
  if (std.minMonthlyRevenue) {
    const { currency, amount } = std.minMonthlyRevenue;
    const min = toMinor(amount, currency);
    if (input.months.length === 0) notEvaluated.push('minMonthlyRevenue');
    for (const m of input.months) {
      const got = m.sums.revenue[currency] ?? 0;
      if (got < min) {
        failing.push({
          measure: 'minMonthlyRevenue',
          period: m.label,
          threshold: { currency, amount: fromMinor(min, currency) },
          actual: { currency, amount: fromMinor(got, currency) },
        });
      }
    }
  }
  return { status: failing.length > 0 ? 'below' : 'meets', failing, notEvaluated };
}
