import { describe, expect, it } from 'vitest';
import {
  addInto,
  divRound,
  emptySums,
  growthOf,
  measuresOf,
  revenueShareOf,
  sumsOfItem,
} from '#shared/kpi/measures.ts';

const item = (attrs: Record<string, unknown>) => ({
  pk: 'KPI#web#2026-01#0',
  sk: 'H#2026-01-01T10',
  type: 'kpi',
  channel: 'web',
  hour: '2026-01-01T10',
  ...attrs,
});

describe('KPI measures from counter sums', () => {
  it('computes rates, AOV over priced orders only, and decimal money', () => {
    // Prepare: 5 orders, 1 cancelled, 1 unpriced (Amazon), 3 priced USD orders worth 100.00
    const s = sumsOfItem(
      item({
        orders: 5,
        cancelled: 1,
        unpriced: 1,
        units: 9,
        multiSku: 2,
        revenue_USD: 10000,
        priced_USD: 3,
        fulfilled: 2,
        fulfilSeconds: 2 * 36 * 3600,
        refunds: 1,
        refundAmount_USD: 1999,
        oversells: 1,
      }),
    );

    // Act
    const m = measuresOf(s);

    // Assess
    expect(m.orders).toBe(5);
    expect(m.cancellationRate).toBe(0.2);
    expect(m.grossRevenue).toEqual({ USD: '100.00' });
    expect(m.averageOrderValue).toEqual({ USD: '33.33' });
    expect(m.unitsPerOrder).toBe(2.25);
    expect(m.crossSellRate).toBe(0.5);
    expect(m.refunds).toEqual({ count: 1, amount: { USD: '19.99' }, rate: 0.2 });
    expect(m.fulfilment).toEqual({ fulfilledOrders: 2, meanHours: 36 });
    expect(m.oversells).toBe(1);
  });

  it('uses each currency exponent and rounds AOV half up in minor units', () => {
    const s = sumsOfItem(item({ orders: 2, revenue_JPY: 1001, priced_JPY: 2 }));
    expect(measuresOf(s).averageOrderValue).toEqual({ JPY: '501' });
    expect(measuresOf(sumsOfItem(item({ orders: 1, revenue_KWD: 1234 }))).grossRevenue).toEqual({ KWD: '1.234' });
    expect(divRound(5, 2)).toBe(3);
    expect(divRound(4, 3)).toBe(1);
  });

  it('divides each currency by its own priced orders when one counter item holds several', () => {
    // Prepare: one hour/shard item with a USD and an EUR order, and one with a USD order
    const mixed = sumsOfItem(item({ orders: 2, revenue_USD: 1000, revenue_EUR: 2000, priced_USD: 1, priced_EUR: 1 }));
    const usdOnly = sumsOfItem(item({ orders: 1, revenue_USD: 500, priced_USD: 1 }));

    // Act
    const m = measuresOf(addInto(addInto(emptySums(), mixed), usdOnly));

    // Assess
    expect(m.grossRevenue).toEqual({ EUR: '20.00', USD: '15.00' });
    expect(m.averageOrderValue).toEqual({ EUR: '20.00', USD: '7.50' });
  });

  it('reports no AOV for a currency without priced orders', () => {
    expect(measuresOf(sumsOfItem(item({ orders: 1, revenue_USD: 500 }))).averageOrderValue).toEqual({ USD: null });
  });

  it('ignores a currency whose revenue went back to zero', () => {
    const s = sumsOfItem(
      item({ orders: 2, cancelled: 1, revenue_EUR: 0, priced_EUR: 0, revenue_USD: 700, priced_USD: 1 }),
    );
    expect(measuresOf(s).averageOrderValue).toEqual({ USD: '7.00' });
  });

  it('answers null where a denominator is zero', () => {
    const m = measuresOf(emptySums());
    expect([m.cancellationRate, m.unitsPerOrder, m.crossSellRate, m.refunds.rate, m.fulfilment.meanHours]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it('measures growth and share', () => {
    const cur = sumsOfItem(item({ orders: 3, units: 3, revenue_USD: 300 }));
    const prev = sumsOfItem(item({ orders: 2, units: 0, revenue_USD: 200, revenue_EUR: 50 }));
    expect(growthOf(cur, prev)).toEqual({ orders: 0.5, unitsSold: null, grossRevenue: { EUR: -1, USD: 0.5 } });
    const all = addInto(addInto(emptySums(), cur), prev);
    expect(revenueShareOf(cur, all)).toEqual({ USD: 0.6 });
  });
});
