/**
 * What one order contributes to the channel KPIs, and what a KPI counter item accumulates: every
 * field is a sum, so contributions and their deltas fold by addition. Pure (no I/O): the order
 * merge (shared/normalize/order-state.ts) produces them, the KPI fold (shared/kpi/fold.ts) writes
 * them, the measures (shared/kpi/measures.ts) read them back.
 */

/** KpiFigures' plain counts, and its per-currency maps (a counter item holds `<map>_<CUR>`). */
export const KPI_COUNT_FIELDS = [
  'orders',
  'units',
  'multiSku',
  'cancelled',
  'fulfilled',
  'fulfilSeconds',
  'unpriced',
  'refunds',
  'oversells',
  'identified',
  'newCustomers',
  'quoted',
  'cycleSeconds',
  'repeatPurchases',
  'upsells',
] as const;
export const KPI_CURRENCY_FIELDS = ['revenue', 'refundAmount', 'priced'] as const;

/** Numbers a KPI counter item accumulates; every field is a sum, so deltas fold by addition. */
export interface KpiFigures {
  orders: number;
  units: number;
  multiSku: number;
  cancelled: number;
  fulfilled: number;
  fulfilSeconds: number;
  unpriced: number;
  refunds: number;
  oversells: number;
  /** orders that name a customer (hashed) */
  identified: number;
  /**
   * customers whose first order on the channel (earliest creation time, then order id) falls
   * here: folded from the per-(channel, customer) item, not from the order (shared/kpi/fold.ts)
   */
  newCustomers: number;
  /** orders with a sales-cycle start (quote or draft) no later than their creation */
  quoted: number;
  /** Σ (creation − start) over those orders, seconds */
  cycleSeconds: number;
  /**
   * products on an order whose customer bought them in an earlier order on the channel, and of
   * those the ones dearer than in the customer's earliest order of the product: folded from the
   * per-(channel, customer, product) item (shared/kpi/upsell.ts)
   */
  repeatPurchases: number;
  upsells: number;
  /** per currency, minor units */
  revenue: Record<string, number>;
  refundAmount: Record<string, number>;
  /**
   * Priced, not cancelled orders per currency (0 or 1 for one order): the average order value's
   * denominator. A counter summing orders of several currencies (a day or month rollup, or a busy
   * hour) could not split its `orders` between them without it.
   */
  priced: Record<string, number>;
}

export function emptyFigures(): KpiFigures {
  return {
    orders: 0,
    units: 0,
    multiSku: 0,
    cancelled: 0,
    fulfilled: 0,
    fulfilSeconds: 0,
    unpriced: 0,
    refunds: 0,
    oversells: 0,
    identified: 0,
    newCustomers: 0,
    quoted: 0,
    cycleSeconds: 0,
    repeatPurchases: 0,
    upsells: 0,
    revenue: {},
    refundAmount: {},
    priced: {},
  };
}
