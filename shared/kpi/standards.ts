import { z } from 'zod';
import { fromMinor, toMinor } from '#shared/domain/money.ts';
import { spendOf, type FigureSums } from '#shared/kpi/figures.ts';
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
  /** gross revenue ÷ partner-reported spend over the range, in every currency with spend, e.g. 4 */
  minReturnOnSpend: z.number().min(0).optional(),
  /** weighted mean customer-satisfaction score (0–100) over the range */
  minSatisfaction: z.number().min(0).max(100).optional(),
  /**
   * share of the range's complete months following a month with orders that had orders too: does
   * the channel's partner keep selling month after month (e.g. 0.9)
   */
  minPartnerRetention: z.number().min(0).max(1).optional(),
  /** share of the range's orders naming a customer that came from a customer seen before (e.g. 0.3) */
  minRepeatRate: z.number().min(0).max(1).optional(),
  /** share of the range's repeat purchases of a product bought dearer than the customer's first (e.g. 0.1) */
  minUpsellRate: z.number().min(0).max(1).optional(),
});
export type ChannelStandards = z.infer<typeof ChannelStandardsSchema>;

export type StandardsMeasure = keyof ChannelStandards;

export interface Failure {
  measure: StandardsMeasure;
  threshold: number | { currency: string; amount: string };
  actual: number | { currency: string; amount: string };
  /** the month that missed a monthly threshold */
  period?: string;
  /** the currency that missed a per-currency threshold (minReturnOnSpend) */
  currency?: string;
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
  /** partner-reported figures dated in the range (shared/kpi/figures.ts); none when absent */
  figures?: FigureSums;
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
  if (std.minRepeatRate !== undefined) {
    const repeat = Math.max(0, t.identified - t.newCustomers);
    if (t.identified <= 0) notEvaluated.push('minRepeatRate');
    // compared as repeat < min·identified, so rounding never fails an exact threshold
    else if (repeat < std.minRepeatRate * t.identified - 1e-9)
      failing.push({
        measure: 'minRepeatRate',
        threshold: std.minRepeatRate,
        actual: Math.round((repeat / t.identified) * 1e6) / 1e6,
      });
  }
  if (std.minUpsellRate !== undefined) {
    if (t.repeatPurchases <= 0) notEvaluated.push('minUpsellRate');
    // compared as upsells < min·repeats, so rounding never fails an exact threshold
    else if (t.upsells < std.minUpsellRate * t.repeatPurchases - 1e-9)
      failing.push({
        measure: 'minUpsellRate',
        threshold: std.minUpsellRate,
        actual: Math.round((t.upsells / t.repeatPurchases) * 1e6) / 1e6,
      });
  }
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
  if (std.minReturnOnSpend !== undefined) {
    const spend = input.figures ? spendOf(input.figures) : {};
    const currencies = Object.keys(spend)
      .filter((c) => spend[c]! > 0)
      .sort();
    if (currencies.length === 0) notEvaluated.push('minReturnOnSpend');
    for (const c of currencies) {
      const revenue = t.revenue[c] ?? 0;
      // compared as revenue < min·spend, not a rounded ratio
      if (revenue < std.minReturnOnSpend * spend[c]! - 1e-9)
        failing.push({
          measure: 'minReturnOnSpend',
          threshold: std.minReturnOnSpend,
          actual: Math.round((revenue / spend[c]!) * 1e6) / 1e6,
          currency: c,
        });
    }
  }
  if (std.minSatisfaction !== undefined) {
    const s = input.figures?.satisfaction;
    if (!s || s.responses <= 0) notEvaluated.push('minSatisfaction');
    else if (s.weightedScore < std.minSatisfaction * s.responses - 1e-9)
      failing.push({
        measure: 'minSatisfaction',
        threshold: std.minSatisfaction,
        actual: Math.round((s.weightedScore / s.responses) * 100) / 100,
      });
  }
  if (std.minPartnerRetention !== undefined) {
    let eligible = 0;
    let kept = 0;
    for (let i = 1; i < input.months.length; i++) {
      if (input.months[i - 1]!.sums.orders <= 0) continue;
      eligible++;
      if (input.months[i]!.sums.orders > 0) kept++;
    }
    if (eligible === 0) notEvaluated.push('minPartnerRetention');
    else if (kept < std.minPartnerRetention * eligible - 1e-9)
      failing.push({
        measure: 'minPartnerRetention',
        threshold: std.minPartnerRetention,
        actual: Math.round((kept / eligible) * 1e6) / 1e6,
      });
  }
  return { status: failing.length > 0 ? 'below' : 'meets', failing, notEvaluated };
}
