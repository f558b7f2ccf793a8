import { describe, expect, it } from 'vitest';
import { emptySums, type Sums } from '#shared/kpi/measures.ts';
import { evaluateStandards } from '#shared/kpi/standards.ts';

function sums(over: Partial<Sums>): Sums {
  return { ...emptySums(), ...over };
}

describe('channel standards', () => {
  it('meets a rate exactly at its threshold (compared without rounding)', () => {
    const r = evaluateStandards(
      { maxCancellationRate: 0.02 },
      { total: sums({ orders: 100, cancelled: 2 }), months: [] },
    );
    expect(r).toEqual({ status: 'meets', failing: [], notEvaluated: [] });
  });

  it('lists every failing measure, monthly revenue per month', () => {
    // Prepare
    const std = {
      maxCancellationRate: 0.02,
      maxMeanFulfilmentHours: 48,
      maxRefundRate: 0.5,
      maxOversells: 0,
      minMonthlyRevenue: { currency: 'USD', amount: '1000' },
    };
    const input = {
      total: sums({ orders: 100, cancelled: 3, fulfilled: 2, fulfilSeconds: 2 * 50 * 3600, refunds: 1, oversells: 2 }),
      months: [
        { label: '2026-01', sums: sums({ revenue: { USD: 100_000 } }) },
        { label: '2026-02', sums: sums({ revenue: { USD: 99_999 } }) },
      ],
    };

    // Act
    const r = evaluateStandards(std, input);

    // Assess
    expect(r).toEqual({
      status: 'below',
      notEvaluated: [],
      failing: [
        { measure: 'maxCancellationRate', threshold: 0.02, actual: 0.03 },
        { measure: 'maxMeanFulfilmentHours', threshold: 48, actual: 50 },
        { measure: 'maxOversells', threshold: 0, actual: 2 },
        {
          measure: 'minMonthlyRevenue',
          period: '2026-02',
          threshold: { currency: 'USD', amount: '1000.00' },
          actual: { currency: 'USD', amount: '999.99' },
        },
      ],
    });
  });

  it('says what it could not evaluate', () => {
    const r = evaluateStandards(
      { maxCancellationRate: 0.1, maxMeanFulfilmentHours: 24, minMonthlyRevenue: { currency: 'EUR', amount: '1' } },
      { total: emptySums(), months: [] },
    );
    expect(r).toEqual({
      status: 'meets',
      failing: [],
      notEvaluated: ['maxCancellationRate', 'maxMeanFulfilmentHours', 'minMonthlyRevenue'],
    });
  });

  it('reports a misspelt or malformed config instead of ignoring it', () => {
    expect(evaluateStandards({ maxCancelationRate: 0.02 }, { total: emptySums(), months: [] })?.status).toBe(
      'invalid_config',
    );
    expect(evaluateStandards({ maxCancellationRate: 2 }, { total: emptySums(), months: [] })?.status).toBe(
      'invalid_config',
    );
    expect(evaluateStandards(undefined, { total: emptySums(), months: [] })).toBeUndefined();
  });
});
