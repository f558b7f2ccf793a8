import { KPI_COUNT_FIELDS as COUNT_FIELDS, emptyFigures } from '#shared/kpi/kpi-figures.ts';
import { fromMinor } from '#shared/domain/money.ts';

/**
 * KPI measures from counter sums (pure). Counter items are written by the fold
 * (shared/kpi/fold.ts) per channel and UTC hour, and per day and month in the rollup zone; every attribute is a
 * sum, so any set of items folds by addition into `Sums`, and every measure is computed from sums:
 * the cost of a period never depends on how many orders it had.
 *
 * Money stays in integer minor units until it leaves as a decimal string; rates
 * are plain numbers rounded to 6 decimals (they are ratios, not money).
 */

type CountField = (typeof COUNT_FIELDS)[number];

export interface Sums extends Record<CountField, number> {
  /** per currency, minor units */
  revenue: Record<string, number>;
  refundAmount: Record<string, number>;
  /**
   * Priced, not cancelled orders per currency: the denominator of the average order value, from
   * the counters' `priced_<CUR>` attributes.
   */
  pricedOrders: Record<string, number>;
}

export function emptySums(): Sums {
  const { priced: _perOrder, ...figures } = emptyFigures();
  return { ...figures, pricedOrders: {} };
}

const CURRENCY_ATTR = /^(revenue|refundAmount|priced)_([A-Z]{3})$/;

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** One counter item (an hour counter, a day or a month rollup) as sums. */
export function sumsOfItem(item: Record<string, unknown>): Sums {
  const s = emptySums();
  for (const f of COUNT_FIELDS) s[f] = num(item[f]);
  for (const [attr, v] of Object.entries(item)) {
    const m = CURRENCY_ATTR.exec(attr);
    if (!m) continue;
    const n = num(v);
    if (m[1] === 'priced') {
      if (n !== 0) s.pricedOrders[m[2]!] = n;
      continue;
    }
    // a currency whose orders were all cancelled again keeps its attribute at 0: not a currency of the item
    if (n !== 0) s[m[1] as 'revenue' | 'refundAmount'][m[2]!] = n;
  }
  return s;
}

/** a += b */
export function addInto(a: Sums, b: Sums): Sums {
  for (const f of COUNT_FIELDS) a[f] += b[f];
  for (const key of ['revenue', 'refundAmount', 'pricedOrders'] as const) {
    for (const [c, v] of Object.entries(b[key])) a[key][c] = (a[key][c] ?? 0) + v;
  }
  return a;
}

export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function ratio(n: number, d: number): number | null {
  return d > 0 ? round6(n / d) : null;
}

/** round(a / b) in integer arithmetic, half away from zero (a ≥ 0, b > 0). */
export function divRound(a: number, b: number): number {
  const q = Math.floor(a / b);
  const r = a - q * b;
  return 2 * r >= b ? q + 1 : q;
}

function money(m: Record<string, number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of Object.keys(m).sort()) out[c] = fromMinor(m[c]!, c);
  return out;
}

export interface Measures {
  /** every placed order, cancelled ones included (cohort: attributed to the hour it was created) */
  orders: number;
  cancelledOrders: number;
  /** cancelled / orders */
  cancellationRate: number | null;
  /** units of the lines not cancelled */
  unitsSold: number;
  /** revenue of orders not cancelled, per currency (decimal strings in major units) */
  grossRevenue: Record<string, string>;
  /** gross revenue / priced orders not cancelled, per currency; null when it cannot be told (see Sums) */
  averageOrderValue: Record<string, string | null>;
  /** orders from senders that send no prices (Amazon, Walmart): in no AOV denominator */
  unpricedOrders: number;
  /** unitsSold / orders not cancelled */
  unitsPerOrder: number | null;
  /** share of orders not cancelled with more than one distinct SKU */
  crossSellRate: number | null;
  refunds: {
    /** refund records of the period's orders (an order may be refunded more than once) */
    count: number;
    amount: Record<string, string>;
    /** refund records per placed order */
    rate: number | null;
  };
  fulfilment: {
    fulfilledOrders: number;
    /** mean time from order creation to shipment, in hours (2 decimals) */
    meanHours: number | null;
  };
  /** times a sale of the period's orders took a balance below zero */
  oversells: number;
  /**
   * Repeat customers (docs/kpis.md): of the orders naming a customer, those whose customer had
   * an earlier order on the channel (by creation time, whenever it arrived)
   */
  customers: {
    identifiedOrders: number;
    /** customers whose first order on the channel was placed in the period */
    newCustomers: number;
    /** identifiedOrders − newCustomers */
    repeatOrders: number;
    /** repeatOrders / identifiedOrders */
    repeatRate: number | null;
  };
  /** quote or draft created → order placed, over the orders whose sender gives the start */
  salesCycle: { quotedOrders: number; meanDays: number | null };
  /**
   * Upsells (docs/kpis.md): of the period's repeat purchases (a product its customer bought in an
   * earlier order on the channel), those dearer than the customer's earliest order of it
   */
  upsell: { repeatPurchases: number; upsells: number; rate: number | null };
}

export function measuresOf(s: Sums): Measures {
  const kept = s.orders - s.cancelled;
  const aov: Record<string, string | null> = {};
  for (const c of Object.keys(s.revenue).sort()) {
    const n = s.pricedOrders[c] ?? 0;
    aov[c] = n <= 0 ? null : fromMinor(divRound(s.revenue[c]!, n), c);
  }
  return {
    orders: s.orders,
    cancelledOrders: s.cancelled,
    cancellationRate: ratio(s.cancelled, s.orders),
    unitsSold: s.units,
    grossRevenue: money(s.revenue),
    averageOrderValue: aov,
    unpricedOrders: s.unpriced,
    unitsPerOrder: ratio(s.units, kept),
    crossSellRate: ratio(s.multiSku, kept),
    refunds: { count: s.refunds, amount: money(s.refundAmount), rate: ratio(s.refunds, s.orders) },
    fulfilment: {
      fulfilledOrders: s.fulfilled,
      meanHours: s.fulfilled > 0 ? Math.round((s.fulfilSeconds / s.fulfilled / 3600) * 100) / 100 : null,
    },
    oversells: s.oversells,
    customers: {
      identifiedOrders: s.identified,
      newCustomers: s.newCustomers,
      repeatOrders: Math.max(0, s.identified - s.newCustomers),
      repeatRate: ratio(Math.max(0, s.identified - s.newCustomers), s.identified),
    },
    salesCycle: {
      quotedOrders: s.quoted,
      meanDays: s.quoted > 0 ? Math.round((s.cycleSeconds / s.quoted / 86400) * 100) / 100 : null,
    },
    upsell: {
      repeatPurchases: s.repeatPurchases,
      upsells: s.upsells,
      rate: ratio(Math.min(s.upsells, s.repeatPurchases), s.repeatPurchases),
    },
  };
}

export interface Growth {
  /** (current − previous) / previous; null when the previous period had none */
  orders: number | null;
  unitsSold: number | null;
  grossRevenue: Record<string, number | null>;
}

function change(cur: number, prev: number): number | null {
  return prev > 0 ? round6((cur - prev) / prev) : null;
}

export function growthOf(cur: Sums, prev: Sums): Growth {
  const grossRevenue: Record<string, number | null> = {};
  for (const c of [...new Set([...Object.keys(cur.revenue), ...Object.keys(prev.revenue)])].sort()) {
    grossRevenue[c] = change(cur.revenue[c] ?? 0, prev.revenue[c] ?? 0);
  }
  return { orders: change(cur.orders, prev.orders), unitsSold: change(cur.units, prev.units), grossRevenue };
}

/** This channel's share of the period's revenue across the channels in the answer, per currency. */
export function revenueShareOf(channel: Sums, all: Sums): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of Object.keys(channel.revenue).sort()) {
    const total = all.revenue[c] ?? 0;
    if (total > 0) out[c] = round6(channel.revenue[c]! / total);
  }
  return out;
}
