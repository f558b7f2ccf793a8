import type {
  FulfillmentRecorded,
  OrderCancelled,
  OrderStatus,
  OrderUpserted,
  RefundRecorded,
  Staleness,
} from '#shared/domain/events.ts';
import { toMinor } from '#shared/domain/money.ts';
import { stableStringify } from '#shared/domain/stable-json.ts';
import { UNASSIGNED_LOCATION } from '#shared/inventory/locations.ts';
import { emptyFigures, type KpiFigures } from '#shared/kpi/kpi-figures.ts';

/**
 * The stored order is a merge of every event seen for it, built so that the merge is commutative
 * and idempotent (docs/architecture.md, principle 2 and 3):
 *  - `state` is the newest OrderUpserted by staleness (seq wins over at): an older version changes nothing;
 *  - `cancel` is sticky (a cancelled order stays cancelled; line cancels accumulate);
 *  - `refunds` is a map by refund id (a refund is recorded once, whatever arrives first).
 * So the same set of deliveries, in any order and with any repeats, gives the same item; and what
 * the order contributes to stock and KPIs is a pure function of the item (`contributionOf`).
 */
export interface OrderLineState {
  lineId: string;
  sku: string;
  qty: number;
  /** unit price in minor units of the order currency, when the sender gives prices */
  unitMinor?: number;
  location: string;
  /** units shipped ahead of the rest of the order (OrderLine.shippedQuantity); absent: none */
  shipped?: number;
  /** when those units left; absent: the order version's time */
  shippedAt?: string;
  /** units taken off the line before they shipped (OrderLine.removedQuantity); absent: none */
  removed?: number;
  /**
   * the sender's product id (OrderLine.productId), kept only on orders that name a customer: the
   * upsell rate is all it is for (shared/kpi/upsell.ts)
   */
  product?: string;
  /**
   * The line names a listing no SKU is mapped to: it is kept on the order (and counted in its
   * KPIs) but moves no stock, so no balance is opened for a SKU that does not exist.
   */
  unmapped?: true;
}

/** The listing an unmapped line waits for (its SKU is `UNMAPPED:<externalItemId>` until mapped). */
export const UNMAPPED_PREFIX = 'UNMAPPED:';
export function waitingListing(line: OrderLineState): string | undefined {
  return line.unmapped && line.sku.startsWith(UNMAPPED_PREFIX) ? line.sku.slice(UNMAPPED_PREFIX.length) : undefined;
}

/**
 * The order with its waiting lines resolved through `resolved` (listing id → SKU): a mapping that
 * arrives after the order takes effect as if it had been there when the order came.
 */
export function resolveWaitingLines(item: OrderItemBody, resolved: ReadonlyMap<string, string>): OrderItemBody {
  if (!item.state) return item;
  let changed = false;
  const lines = item.state.lines.map((l) => {
    const id = waitingListing(l);
    const sku = id !== undefined ? resolved.get(id) : undefined;
    if (sku === undefined) return l;
    changed = true;
    const { unmapped: _u, ...rest } = l;
    return { ...rest, sku };
  });
  return changed ? { ...item, state: { ...item.state, lines } } : item;
}

export interface OrderUpsertState {
  status: OrderStatus;
  rawStatus: Record<string, string>;
  orderNumber?: string;
  createdAt: string;
  version: Staleness;
  currency?: string;
  totalMinor?: number;
  lines: OrderLineState[];
  /**
   * The version the lines came from. Some senders' notifications carry no lines (Amazon's
   * order-level ORDER_CHANGE): the lines then come from the newest version that had any, so a
   * line-less update neither wipes them nor, arriving first, blocks an older version's lines.
   */
  linesVersion?: Staleness;
  fulfilledAt?: string;
  cancelledAt?: string;
  shipToCountry?: string;
  /** the salted hash of the sender's customer reference (shared/domain/customer-hash.ts) */
  customer?: string;
  /** when the draft order or quote the order came from was made */
  quotedAt?: string;
}

export interface RefundState {
  at: string;
  currency?: string;
  amountMinor?: number;
  /** restocked lines as the sender named them; resolved against the order's lines when it is known */
  restock: { lineId?: string; sku?: string; location?: string; qty: number }[];
  /** units of the order's lines the refund cancelled before they shipped (by line id); absent: none */
  unshipped?: { lineId: string; qty: number }[];
}

export interface OrderCancelState {
  at: string;
  reason?: string;
  /** undefined: the whole order; otherwise the cancelled line ids (accumulated) */
  lineIds?: string[];
}

export interface FulfillmentState {
  at: string;
  version: Staleness;
  shipped: boolean;
  lines: { lineId: string; qty: number }[];
}

export interface OrderItemBody {
  channel: string;
  orderId: string;
  state?: OrderUpsertState;
  cancel?: OrderCancelState;
  refunds: Record<string, RefundState>;
  /** by fulfilment id, newest version of each; absent until the first one arrives */
  fulfillments?: Record<string, FulfillmentState>;
  /** when its units were first reported shipped, by any version seen (older ones too) */
  firstShipped?: FirstShipped;
}

/**
 * The earliest report of each shipment, gathered from every version of the order seen, newer or
 * older than the one kept (the earliest of a set is the same whatever order its members came
 * in). A version resent later with a newer time (a note edit, a status change) does not move
 * units that had already left to its time, and a count taken in between keeps them out of the
 * units it counted, however the versions arrived.
 */
export interface FirstShipped {
  /** the earliest time a version said the whole order shipped (its fulfilledAt, else its time) */
  order?: string;
  /**
   * per line id, steps `[at, units]` in time order with units rising: `units` of the line had
   * been reported shipped by `at` (the lower envelope of every version's report)
   */
  lines?: Record<string, [string, number][]>;
}

export interface Movement {
  sku: string;
  location: string;
  delta: number;
  at: string;
  reason: 'order' | 'refund';
}

/**
 * The key of a (sku, location) balance in a contribution: a JSON array, not the two joined by a
 * separator, which a SKU or location containing it could forge (`MUG|WH-1` at `default` would be
 * read as `MUG` at `WH-1|default`).
 */
export function balanceRef(sku: string, location: string): string {
  return JSON.stringify([sku, location]);
}

/** The (sku, location) a balanceRef names. */
export function parseBalanceRef(ref: string): [sku: string, location: string] {
  const [sku, location] = JSON.parse(ref) as [string, string];
  return [sku, location];
}

export interface Contribution {
  /** balanceRef(sku, location) → units held for the order */
  reserved: Record<string, number>;
  /** on-hand movements by a stable key (a JSON array: ship, sku, location / restock, refund id, sku, location) */
  moves: Record<string, Movement>;
  /** KPI figures attributed to the order's creation time */
  kpi?: { at: string; figures: KpiFigures };
}

export const EMPTY_CONTRIBUTION: Contribution = { reserved: {}, moves: {} };

/** The merge state of a stored order item (a stream image); an empty one for anything else. */
export function orderBodyOfItem(item: Record<string, unknown> | undefined): OrderItemBody {
  if (item?.type !== 'order') return { channel: '', orderId: '', refunds: {} };
  const body: OrderItemBody = {
    channel: String(item.channel),
    orderId: String(item.orderId),
    refunds: (item.refunds as OrderItemBody['refunds']) ?? {},
  };
  if (item.state) body.state = item.state as OrderItemBody['state'];
  if (item.cancel) body.cancel = item.cancel as OrderItemBody['cancel'];
  if (item.fulfillments) body.fulfillments = item.fulfillments as OrderItemBody['fulfillments'];
  if (item.firstShipped) body.firstShipped = item.firstShipped as OrderItemBody['firstShipped'];
  return body;
}

/** Is `a` a newer version than `b`? A sender's sequence beats a timestamp when both have one. */
export function isNewer(a: Staleness, b: Staleness): boolean {
  if (a.seq !== undefined && b.seq !== undefined && a.seq !== b.seq) return a.seq > b.seq;
  return Date.parse(a.at) > Date.parse(b.at);
}

/** Lines of an upsert, with SKUs already resolved (`resolveSku`) and a location chosen. */
export function upsertState(
  event: OrderUpserted,
  resolveSku: (externalItemId: string) => string | undefined,
): OrderUpsertState {
  const currency = event.total?.currency ?? event.lines.find((l) => l.unitPrice)?.unitPrice?.currency;
  const lines = event.lines.map((l, i): OrderLineState => {
    const resolved = l.sku ?? (l.externalItemId ? resolveSku(l.externalItemId) : undefined);
    const line: OrderLineState = {
      lineId: l.lineId ?? String(i),
      sku: resolved ?? `UNMAPPED:${l.externalItemId ?? i}`,
      qty: l.quantity,
      location: l.locationId ?? event.locationId ?? UNASSIGNED_LOCATION,
    };
    if (resolved === undefined) line.unmapped = true;
    if (l.shippedQuantity) {
      line.shipped = Math.min(l.shippedQuantity, l.quantity);
      if (l.shippedAt) line.shippedAt = l.shippedAt;
    }
    if (l.removedQuantity) line.removed = Math.min(l.removedQuantity, l.quantity);
    if (l.unitPrice) line.unitMinor = toMinor(l.unitPrice.amount, l.unitPrice.currency);
    if (l.productId && event.customerHash) line.product = l.productId;
    return line;
  });
  const s: OrderUpsertState = {
    status: event.status,
    rawStatus: event.rawStatus,
    createdAt: event.createdAt,
    version: event.version,
    lines,
  };
  if (event.orderNumber !== undefined) s.orderNumber = event.orderNumber;
  if (currency !== undefined) s.currency = currency;
  if (event.total) s.totalMinor = toMinor(event.total.amount, event.total.currency);
  if (event.fulfilledAt) s.fulfilledAt = event.fulfilledAt;
  if (event.cancelledAt) s.cancelledAt = event.cancelledAt;
  if (event.shipToCountry) s.shipToCountry = event.shipToCountry;
  if (event.customerHash) s.customer = event.customerHash;
  if (event.quotedAt) s.quotedAt = event.quotedAt;
  return s;
}

export function mergeUpsert(item: OrderItemBody, state: OrderUpsertState): OrderItemBody {
  const prev = item.state;
  const incomingLines = state.lines.length > 0 ? { lines: state.lines, linesVersion: state.version } : undefined;
  const prevLines =
    prev && prev.lines.length > 0 ? { lines: prev.lines, linesVersion: prev.linesVersion ?? prev.version } : undefined;
  const lines =
    incomingLines && (!prevLines || isNewer(incomingLines.linesVersion, prevLines.linesVersion))
      ? incomingLines
      : (prevLines ?? incomingLines);
  const base = !prev || isNewer(state.version, prev.version) ? state : prev;
  const next: OrderUpsertState = { ...base, lines: lines?.lines ?? [] };
  // the lines' prices are in the currency of the version they came from: a newer line-less version
  // (no lines, no total, so no currency of its own) keeps it
  const linesCurrency = lines === incomingLines ? state.currency : prev?.currency;
  if (next.currency === undefined && linesCurrency !== undefined) next.currency = linesCurrency;
  if (lines) next.linesVersion = lines.linesVersion;
  else delete next.linesVersion;
  const firstShipped = withShipReports(item.firstShipped, state);
  const sameState = prev !== undefined && stableStringify(next) === stableStringify(prev);
  const sameReports = stableStringify(firstShipped ?? null) === stableStringify(item.firstShipped ?? null);
  if (sameState && sameReports) return item;
  return { ...item, state: sameState ? prev : next, ...(firstShipped ? { firstShipped } : {}) };
}

/** The time a version says the whole order shipped (absent: it does not say so). */
function orderShippedAt(s: OrderUpsertState): string | undefined {
  return s.fulfilledAt ?? (s.status === 'fulfilled' ? s.version.at : undefined);
}

/**
 * One spelling per instant (`…T09:00:00Z` and `…T09:00:00.000Z` are the same time): what is kept
 * does not depend on which report spelled it first.
 */
function instant(at: string): string {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? at : new Date(ms).toISOString();
}

/** The earlier of two ISO instants (absent: the other). */
function earlier(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b === undefined ? undefined : instant(b);
  if (b === undefined) return instant(a);
  return instant(Date.parse(b) < Date.parse(a) ? b : a);
}

/** The lower envelope of shipment reports: steps in time order, each with more units than the last. */
export function shipEnvelope(points: readonly (readonly [string, number])[]): [string, number][] {
  const sorted = points
    .map(([at, units]): [string, number] => [instant(at), units])
    .sort((x, y) => Date.parse(x[0]) - Date.parse(y[0]) || y[1] - x[1]);
  const out: [string, number][] = [];
  for (const [at, units] of sorted) {
    const last = out[out.length - 1];
    if (units <= 0 || (last && units <= last[1])) continue;
    if (last && Date.parse(last[0]) === Date.parse(at)) last[1] = units;
    else out.push([at, units]);
  }
  return out;
}

/** The first-shipped reports with one more version's: each the earliest of the two. */
function withShipReports(reports: FirstShipped | undefined, s: OrderUpsertState): FirstShipped | undefined {
  const order = earlier(reports?.order, orderShippedAt(s));
  let lines = reports?.lines;
  for (const l of s.lines) {
    if (!l.shipped) continue;
    const merged = shipEnvelope([...(lines?.[l.lineId] ?? []), [l.shippedAt ?? s.version.at, l.shipped]]);
    lines = { ...lines, [l.lineId]: merged };
  }
  if (order === undefined && lines === undefined) return undefined;
  return { ...(order !== undefined ? { order } : {}), ...(lines !== undefined ? { lines } : {}) };
}

export function mergeCancel(item: OrderItemBody, event: OrderCancelled): OrderItemBody {
  const prev = item.cancel;
  if (prev && prev.lineIds === undefined) return item; // already wholly cancelled
  const at = prev && Date.parse(prev.at) <= Date.parse(event.cancelledAt) ? prev.at : event.cancelledAt;
  let lineIds: string[] | undefined;
  if (event.lineIds !== undefined) {
    lineIds = [...new Set([...(prev?.lineIds ?? []), ...event.lineIds])].sort();
    if (prev?.lineIds && lineIds.length === prev.lineIds.length && at === prev.at) return item;
  }
  const cancel: OrderCancelState = { at };
  if (lineIds !== undefined) cancel.lineIds = lineIds;
  const reason = event.reason ?? prev?.reason;
  if (reason !== undefined) cancel.reason = reason;
  return { ...item, cancel };
}

export function mergeRefund(item: OrderItemBody, event: RefundRecorded): OrderItemBody {
  if (item.refunds[event.refundId]) return item;
  const refund: RefundState = { at: event.processedAt, restock: [] };
  if (event.amount) {
    refund.currency = event.amount.currency;
    refund.amountMinor = Math.abs(toMinor(event.amount.amount, event.amount.currency));
  }
  for (const l of event.lines) {
    if (l.unshipped && l.lineId !== undefined && l.quantity > 0) {
      (refund.unshipped ??= []).push({ lineId: l.lineId, qty: l.quantity });
      continue;
    }
    if (!l.restock || l.quantity <= 0) continue;
    const line: RefundState['restock'][number] = { qty: l.quantity };
    if (l.lineId !== undefined) line.lineId = l.lineId;
    if (l.sku !== undefined) line.sku = l.sku;
    if (l.locationId !== undefined) line.location = l.locationId;
    refund.restock.push(line);
  }
  return { ...item, refunds: { ...item.refunds, [event.refundId]: refund } };
}

export function mergeFulfillment(item: OrderItemBody, event: FulfillmentRecorded): OrderItemBody {
  const prev = item.fulfillments?.[event.fulfillmentId];
  if (prev && !isNewer(event.version, prev.version)) return item;
  const next: FulfillmentState = {
    at: event.at,
    version: event.version,
    shipped: event.shipped,
    lines: event.lines.filter((l) => l.quantity > 0).map((l) => ({ lineId: l.lineId, qty: l.quantity })),
  };
  if (prev && stableStringify(prev) === stableStringify(next)) return item;
  return { ...item, fulfillments: { ...item.fulfillments, [event.fulfillmentId]: next } };
}

/** Units per line the order's refunds cancelled before they shipped. */
function unshippedByRefunds(item: OrderItemBody): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of Object.values(item.refunds)) {
    for (const l of r.unshipped ?? []) out.set(l.lineId, (out.get(l.lineId) ?? 0) + l.qty);
  }
  return out;
}

/** Per line, the recorded shipped fulfilments as steps `[at, units so far]` in time order. */
function fulfilledSteps(item: OrderItemBody): Map<string, [string, number][]> {
  const shipped = Object.values(item.fulfillments ?? {})
    .filter((f) => f.shipped)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const out = new Map<string, [string, number][]>();
  for (const f of shipped)
    for (const l of f.lines) {
      const steps = out.get(l.lineId) ?? [];
      steps.push([f.at, (steps[steps.length - 1]?.[1] ?? 0) + l.qty]);
      out.set(l.lineId, steps);
    }
  for (const [id, steps] of out) out.set(id, shipEnvelope(steps));
  return out;
}

/**
 * Statuses whose unshipped lines stay reserved. A partially refunded order still has lines to
 * ship (the senders report `partially_refunded` only while the rest is unfulfilled: Shopify puts
 * fulfilment before it, and shipped quantities are subtracted line by line), so releasing it would
 * show stock as sellable that is promised to a customer.
 */
const OPEN_STATUSES: ReadonlySet<OrderStatus> = new Set([
  'pending_payment',
  'paid',
  'partially_refunded',
  'processing',
  'partially_fulfilled',
  'on_hold',
  'unknown',
]);

function isWhollyCancelled(item: OrderItemBody): boolean {
  if ((item.cancel !== undefined && item.cancel.lineIds === undefined) || item.state?.status === 'cancelled')
    return true;
  // every line cancelled one at a time (Walmart line cancels) is the whole order cancelled
  const cancelled = new Set(item.cancel?.lineIds ?? []);
  const lines = item.state?.lines ?? [];
  return lines.length > 0 && lines.every((l) => cancelled.has(l.lineId));
}

/**
 * What an order contributes now. Choices (README "Inventory arithmetic" and "KPIs"):
 *  - an open, unshipped order reserves its active lines (cancelled lines do not);
 *  - a shipped order (fulfilledAt, or status fulfilled) moves its active lines off hand at that time;
 *  - a restocking refund moves its lines back on hand at the refund's time;
 *  - KPIs are attributed to the hour the order was created (cohort view): `orders` counts every
 *    placed order, `cancelled` the cancelled ones; units and revenue count what was not cancelled.
 */
export function contributionOf(item: OrderItemBody): Contribution {
  const c: Contribution = { reserved: {}, moves: {} };
  const s = item.state;
  const cancelledLines = new Set(item.cancel?.lineIds ?? []);
  const whollyCancelled = isWhollyCancelled(item);
  const active = s && !whollyCancelled ? s.lines.filter((l) => !cancelledLines.has(l.lineId) && l.qty > 0) : [];
  const shippedAt = s ? orderShippedAt(s) : undefined;

  if (s && !whollyCancelled) {
    // each unit leaves at the earliest report of its shipment (FirstShipped): by this version, an
    // older or newer one, or a recorded fulfilment. The move's key names its time, so a unit whose
    // time changes moves back at the old time and off at the new one: what the order moved by any
    // time is a function of the order as stored, however its versions arrived.
    const byFulfillmentSteps = fulfilledSteps(item);
    const ship = (l: OrderLineState, qty: number, fallback: string, wholeOrderAt?: string) => {
      // shipped from a location nobody named: the reservation ends, and the units leave on-hand
      // at the warehouse's next count (a channel's fulfilmentLocation makes them leave at once)
      if (l.location === UNASSIGNED_LOCATION) return;
      // the earliest report of each unit: the lower envelope of every source's steps (an order
      // stored before these reports were kept has none: its units leave at `fallback`)
      const steps = shipEnvelope([
        ...(item.firstShipped?.lines?.[l.lineId] ?? []),
        ...(byFulfillmentSteps.get(l.lineId) ?? []),
        ...(wholeOrderAt !== undefined ? [[wholeOrderAt, qty] as const] : []),
      ]);
      let done = 0;
      const move = (n: number, at: string) => {
        const k = JSON.stringify(['ship', l.sku, l.location, at]);
        const prev = c.moves[k];
        c.moves[k] = { sku: l.sku, location: l.location, delta: (prev?.delta ?? 0) - n, at, reason: 'order' };
      };
      for (const [at, units] of steps) {
        const n = Math.min(units, qty) - done;
        if (n <= 0) continue;
        done += n;
        move(n, at);
      }
      if (done < qty) move(qty - done, instant(fallback));
    };
    // an unmapped line is recorded on the order but names no SKU: it holds and moves nothing
    const stocked = active.filter((l) => !l.unmapped);
    // units taken off a line before shipping: the order's own count or its refunds, whichever says more
    const cancelledByRefunds = unshippedByRefunds(item);
    const removedOf = (l: OrderLineState) => Math.max(l.removed ?? 0, cancelledByRefunds.get(l.lineId) ?? 0);
    if (shippedAt) {
      const orderAt = earlier(item.firstShipped?.order, shippedAt);
      for (const l of stocked) {
        const n = l.qty - removedOf(l);
        if (n > 0) ship(l, n, shippedAt, orderAt);
      }
    } else {
      // shipped ahead of the order (partial fulfilment): those units leave, the rest stays held.
      // Each unit keeps its time, so fulfilling the rest later moves only the rest. The order's
      // own count and its fulfilments describe the same shipments: the larger wins.
      const shippedOf = (l: OrderLineState) =>
        Math.min(Math.max(l.shipped ?? 0, byFulfillmentSteps.get(l.lineId)?.at(-1)?.[1] ?? 0), l.qty);
      for (const l of stocked) {
        const n = shippedOf(l);
        if (n > 0) ship(l, n, l.shippedAt ?? s.version.at);
      }
      if (OPEN_STATUSES.has(s.status)) {
        for (const l of stocked) {
          const held = l.qty - shippedOf(l) - removedOf(l);
          if (held <= 0) continue;
          const k = balanceRef(l.sku, l.location);
          c.reserved[k] = (c.reserved[k] ?? 0) + held;
        }
      }
    }
  }
  for (const [refundId, r] of Object.entries(item.refunds)) {
    for (const l of r.restock) {
      // a refund can arrive before its order: its lines count once the order says what they are
      const line = s?.lines.find(
        (x) =>
          (l.lineId !== undefined && x.lineId === l.lineId) ||
          (l.lineId === undefined && l.sku !== undefined && x.sku === l.sku),
      );
      const sku = l.sku ?? (line?.unmapped ? undefined : line?.sku);
      if (!sku) continue;
      const location = l.location ?? line?.location ?? s?.lines[0]?.location ?? UNASSIGNED_LOCATION;
      // units restocked nowhere in particular are on hand wherever the next count finds them
      if (location === UNASSIGNED_LOCATION) continue;
      const k = JSON.stringify(['restock', refundId, sku, location]);
      const prev = c.moves[k];
      c.moves[k] = { sku, location, delta: (prev?.delta ?? 0) + l.qty, at: r.at, reason: 'refund' };
    }
  }

  if (s) {
    const f = emptyFigures();
    f.orders = 1;
    if (whollyCancelled) f.cancelled = 1;
    if (s.customer) f.identified = 1;
    const quoted = s.quotedAt === undefined ? Number.NaN : Date.parse(s.quotedAt);
    if (quoted <= Date.parse(s.createdAt)) {
      f.quoted = 1;
      f.cycleSeconds = Math.round((Date.parse(s.createdAt) - quoted) / 1000);
    }
    const units = active.reduce((n, l) => n + l.qty, 0);
    f.units = units;
    if (!whollyCancelled && new Set(active.map((l) => l.sku)).size > 1) f.multiSku = 1;
    if (!whollyCancelled) {
      const partial = cancelledLines.size > 0;
      const priced = active.length > 0 && active.every((l) => l.unitMinor !== undefined);
      let revenue: number | undefined;
      // after a partial cancellation only line prices say what is left; without them it is unknown
      if (partial) revenue = priced ? active.reduce((n, l) => n + (l.unitMinor ?? 0) * l.qty, 0) : undefined;
      else if (s.totalMinor !== undefined) revenue = s.totalMinor;
      else if (priced) revenue = active.reduce((n, l) => n + (l.unitMinor ?? 0) * l.qty, 0);
      if (revenue !== undefined && s.currency) {
        f.revenue[s.currency] = revenue;
        f.priced[s.currency] = 1;
      } else f.unpriced = 1;
      if (shippedAt) {
        f.fulfilled = 1;
        f.fulfilSeconds = Math.max(0, Math.round((Date.parse(shippedAt) - Date.parse(s.createdAt)) / 1000));
      }
    }
    for (const r of Object.values(item.refunds)) {
      f.refunds += 1;
      if (r.currency && r.amountMinor !== undefined)
        f.refundAmount[r.currency] = (f.refundAmount[r.currency] ?? 0) + r.amountMinor;
    }
    c.kpi = { at: s.createdAt, figures: f };
  }
  return c;
}

export interface ContributionDelta {
  reserved: Record<string, number>;
  moves: Movement[];
}

/**
 * The change from what an order contributed before to what it contributes now, to stock (the KPI
 * change is folded from the order item's stream record: shared/kpi/fold.ts).
 */
export function diffContribution(before: Contribution, after: Contribution): ContributionDelta {
  const reserved: Record<string, number> = {};
  for (const k of new Set([...Object.keys(before.reserved), ...Object.keys(after.reserved)])) {
    const d = (after.reserved[k] ?? 0) - (before.reserved[k] ?? 0);
    if (d !== 0) reserved[k] = d;
  }
  const moves: Movement[] = [];
  for (const k of new Set([...Object.keys(before.moves), ...Object.keys(after.moves)])) {
    const a = after.moves[k];
    const b = before.moves[k];
    const d = (a?.delta ?? 0) - (b?.delta ?? 0);
    const ref = a ?? b;
    if (d !== 0 && ref) moves.push({ ...ref, delta: d, at: a?.at ?? ref.at });
  }
  return { reserved, moves };
}
