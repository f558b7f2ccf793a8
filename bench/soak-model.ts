import { mulberry32 } from './prng.ts';
/**
 * The soak's stream and its independent expectation (`npm run soak`, bench/soak.ts).
 *
 * `generateStream` makes a seeded stream of hub-format deliveries (docs/hub-format.md);
 * `expectedState` computes, with plain arithmetic over the stream's logical events, what the
 * stock balances and KPI counters must be once every event is applied, whatever the arrival order
 * and however many times each arrived. It deliberately does not import the production normalizer
 * (shared/normalize/*): it restates the documented rules (README "Inventory arithmetic", the
 * comment on order-state.ts `contributionOf`) so that a bug there shows up as a difference here.
 */

// ---- events --------------------------------------------------------------------------------

export interface StockSetEvent {
  kind: 'stock.set';
  counts: { sku: string; location: string; onHand: number }[];
  asOf: string;
}
export interface StockAdjustedEvent {
  kind: 'stock.adjusted';
  sku: string;
  location: string;
  delta: number;
  reason: 'manual' | 'receipt' | 'damage' | 'transfer' | 'other';
  key: string;
  at: string;
}
export interface OrderLine {
  lineId: string;
  sku: string;
  qty: number;
  /** decimal string, major units */
  unitPrice: string;
}
export interface OrderUpsertedEvent {
  kind: 'order.upserted';
  orderId: string;
  version: number;
  status: 'pending_payment' | 'paid' | 'processing' | 'fulfilled' | 'cancelled';
  createdAt: string;
  updatedAt: string;
  currency: string;
  /** decimal string; absent = the sum of the lines */
  total?: string;
  location: string;
  lines: OrderLine[];
  fulfilledAt?: string;
  cancelledAt?: string;
}
export interface OrderCancelledEvent {
  kind: 'order.cancelled';
  orderId: string;
  cancelledAt: string;
  lineIds?: string[];
}
export interface RefundRecordedEvent {
  kind: 'refund.recorded';
  orderId: string;
  refundId: string;
  amount: string;
  currency: string;
  processedAt: string;
  lines: { lineId: string; sku: string; qty: number; restock: boolean; location: string }[];
}
export interface MalformedEvent {
  kind: 'malformed';
  variant: string;
}
export type SoakEvent =
  | StockSetEvent
  | StockAdjustedEvent
  | OrderUpsertedEvent
  | OrderCancelledEvent
  | RefundRecordedEvent
  | MalformedEvent;

export interface SoakDelivery {
  /** Standard Webhooks `webhook-id`: the same for every copy and every retry */
  webhookId: string;
  event: SoakEvent;
  /** the exact JSON body sent */
  body: string;
  /** logical time the sender emits it (orders the stream before shuffling) */
  emittedAt: string;
}

// ---- money ---------------------------------------------------------------------------------

const MINOR_DIGITS: Record<string, number> = { USD: 2, EUR: 2, GBP: 2, JPY: 0 };

/** "12.90" EUR → 1290; "1500" JPY → 1500. No floating point. */
export function minorUnits(amount: string, currency: string): number {
  const digits = MINOR_DIGITS[currency];
  if (digits === undefined) throw new Error(`soak model: unknown currency ${currency}`);
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount);
  if (!m) throw new Error(`soak model: not a decimal string: ${amount}`);
  const frac = (m[3] ?? '').padEnd(digits, '0');
  if (frac.length > digits && /[1-9]/.test(frac.slice(digits)))
    throw new Error(`soak model: ${amount} has more than ${digits} decimals`);
  const n = Number(m[2]) * 10 ** digits + (digits ? Number(frac.slice(0, digits)) : 0);
  return m[1] ? -n : n;
}

export function formatMajor(minor: number, currency: string): string {
  const digits = MINOR_DIGITS[currency] ?? 2;
  if (digits === 0) return String(minor);
  const s = String(Math.abs(minor)).padStart(digits + 1, '0');
  return `${minor < 0 ? '-' : ''}${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

// ---- expectation ---------------------------------------------------------------------------

export interface Balance {
  onHand: number;
  reserved: number;
  available: number;
}

/** The KPI figures the soak compares (every one a deterministic function of the final orders). */
export const KPI_FIELDS = [
  'orders',
  'units',
  'multiSku',
  'cancelled',
  'fulfilled',
  'fulfilSeconds',
  'unpriced',
  'refunds',
] as const;
/** figures by name: KPI_FIELDS plus `revenue_<CUR>` and `refundAmount_<CUR>` (minor units) */
export type Figures = Record<string, number>;

export interface ExpectedState {
  /** `${sku}|${location}` → balance */
  balances: Map<string, Balance>;
  /** UTC hour `yyyy-mm-ddThh` → figures (zeros omitted) */
  kpis: Map<string, Figures>;
  /** orderId → the merged order the hub should store */
  orders: Map<string, ExpectedOrder>;
}

export interface ExpectedOrder {
  version: number;
  status: string;
  cancelledWhole: boolean;
  cancelledLines: string[];
  refundIds: string[];
}

const OPEN = new Set(['pending_payment', 'paid', 'processing', 'partially_fulfilled', 'on_hold', 'unknown']);

const ms = (iso: string) => Date.parse(iso);
const hourOf = (iso: string) => new Date(iso).toISOString().slice(0, 13);

function add(f: Figures, name: string, v: number): void {
  if (v !== 0) f[name] = (f[name] ?? 0) + v;
}

/**
 * What the hub must hold once every event in `events` is applied (each at least once, in any
 * order). Malformed events contribute nothing.
 *
 * Stock, per SKU and location: the newest absolute count is the truth from its `asOf`; every
 * movement later than it adds to it (movements not later than it are already inside it). The
 * movements are the adjustments, the shipments of fulfilled orders (−qty of each active line at
 * the fulfilment time) and restocking refunds (+qty at the refund time). `reserved` is the units
 * of open, unshipped, not-cancelled orders; `available = onHand − reserved`.
 *
 * KPIs, per order, in the UTC hour the order was created: orders 1; cancelled 1 if wholly
 * cancelled; for a not-cancelled order units = Σ active quantities, multiSku 1 if its active
 * lines have 2+ SKUs, revenue = Σ active lines when some lines were cancelled, else the total
 * (else Σ lines), fulfilled 1 and fulfilSeconds = fulfilment − creation when shipped; refunds
 * and refundAmount per recorded refund, cancelled or not.
 */
export function expectedState(events: readonly SoakEvent[]): ExpectedState {
  // newest count per sku|location
  const counts = new Map<string, { onHand: number; asOf: string }>();
  const moves: { key: string; delta: number; at: string }[] = [];
  const reserved = new Map<string, number>();
  const upserts = new Map<string, OrderUpsertedEvent>();
  const cancels = new Map<string, { whole: boolean; lines: Set<string> }>();
  const refunds = new Map<string, Map<string, RefundRecordedEvent>>();

  for (const e of events) {
    switch (e.kind) {
      case 'stock.set':
        for (const c of e.counts) {
          const k = `${c.sku}|${c.location}`;
          const prev = counts.get(k);
          if (!prev || ms(e.asOf) > ms(prev.asOf)) counts.set(k, { onHand: c.onHand, asOf: e.asOf });
        }
        break;
      case 'stock.adjusted':
        // the same idempotency key twice is one movement: the stream never reuses keys, the
        // caller passes distinct events
        moves.push({ key: `${e.sku}|${e.location}`, delta: e.delta, at: e.at });
        break;
      case 'order.upserted': {
        const prev = upserts.get(e.orderId);
        if (!prev || e.version > prev.version) upserts.set(e.orderId, e);
        break;
      }
      case 'order.cancelled': {
        const c = cancels.get(e.orderId) ?? { whole: false, lines: new Set<string>() };
        if (!e.lineIds) c.whole = true;
        else for (const l of e.lineIds) c.lines.add(l);
        cancels.set(e.orderId, c);
        break;
      }
      case 'refund.recorded': {
        const byId = refunds.get(e.orderId) ?? new Map<string, RefundRecordedEvent>();
        if (!byId.has(e.refundId)) byId.set(e.refundId, e);
        refunds.set(e.orderId, byId);
        break;
      }
      case 'malformed':
        break;
    }
  }

  const kpis = new Map<string, Figures>();
  const orders = new Map<string, ExpectedOrder>();
  for (const orderId of new Set([...upserts.keys(), ...cancels.keys(), ...refunds.keys()])) {
    const o = upserts.get(orderId);
    const c = cancels.get(orderId);
    const rs = [...(refunds.get(orderId)?.values() ?? [])];
    const whole = (c?.whole ?? false) || o?.status === 'cancelled';
    for (const r of rs) {
      for (const l of r.lines)
        if (l.restock && l.qty > 0) moves.push({ key: `${l.sku}|${l.location}`, delta: l.qty, at: r.processedAt });
    }
    orders.set(orderId, {
      version: o?.version ?? 0,
      status: o?.status ?? '',
      cancelledWhole: c?.whole ?? false,
      cancelledLines: [...(c?.lines ?? [])].sort(),
      refundIds: rs.map((r) => r.refundId).sort(),
    });
    if (!o) continue;
    const active = whole ? [] : o.lines.filter((l) => !c?.lines.has(l.lineId) && l.qty > 0);
    const shippedAt = o.fulfilledAt ?? (o.status === 'fulfilled' ? o.updatedAt : undefined);
    if (!whole) {
      for (const l of active) {
        const k = `${l.sku}|${o.location}`;
        if (shippedAt) moves.push({ key: k, delta: -l.qty, at: shippedAt });
        else if (OPEN.has(o.status)) reserved.set(k, (reserved.get(k) ?? 0) + l.qty);
      }
    }
    const f = kpis.get(hourOf(o.createdAt)) ?? {};
    add(f, 'orders', 1);
    if (whole) add(f, 'cancelled', 1);
    else {
      add(
        f,
        'units',
        active.reduce((n, l) => n + l.qty, 0),
      );
      if (new Set(active.map((l) => l.sku)).size > 1) add(f, 'multiSku', 1);
      const linesSum = active.reduce((n, l) => n + minorUnits(l.unitPrice, o.currency) * l.qty, 0);
      const partial = (c?.lines.size ?? 0) > 0;
      const revenue =
        partial && active.length > 0 ? linesSum : o.total !== undefined ? minorUnits(o.total, o.currency) : linesSum;
      add(f, `revenue_${o.currency}`, revenue);
      if (shippedAt) {
        add(f, 'fulfilled', 1);
        add(f, 'fulfilSeconds', Math.max(0, Math.round((ms(shippedAt) - ms(o.createdAt)) / 1000)));
      }
    }
    for (const r of rs) {
      add(f, 'refunds', 1);
      add(f, `refundAmount_${r.currency}`, Math.abs(minorUnits(r.amount, r.currency)));
    }
    kpis.set(hourOf(o.createdAt), f);
  }

  const balances = new Map<string, Balance>();
  const entry = (k: string) => {
    let b = balances.get(k);
    if (!b) balances.set(k, (b = { onHand: 0, reserved: 0, available: 0 }));
    return b;
  };
  for (const [k, c] of counts) entry(k).onHand = c.onHand;
  for (const m of moves) {
    const c = counts.get(m.key);
    if (!c || ms(m.at) > ms(c.asOf)) entry(m.key).onHand += m.delta;
    else entry(m.key); // kept in the ledger, not on hand
  }
  for (const [k, r] of reserved) entry(k).reserved += r;
  for (const b of balances.values()) b.available = b.onHand - b.reserved;
  for (const [h, f] of kpis) if (Object.keys(f).length === 0) kpis.delete(h);
  return { balances, kpis, orders };
}

// ---- stream --------------------------------------------------------------------------------

export interface StreamOptions {
  seed: number;
  skus: number;
  locations: number;
  orders: number;
  adjustments: number;
  /** mid-stream absolute recounts (single stock.set) */
  recounts: number;
  /** share of extra deliveries that are malformed (must end quarantined) */
  malformedRate: number;
  /** share of deliveries sent 2 or 3 times with the same webhook-id and body */
  duplicateRate: number;
  /** sending order is shuffled within windows of this many deliveries */
  shuffleWindow: number;
  /** start of the stream's logical time; default 2026-03-02T00:00:00Z */
  base?: string;
}

export interface Stream {
  deliveries: SoakDelivery[];
  /** indices into `deliveries`, in sending order; a duplicated delivery appears 2-3 times */
  sends: number[];
}

const STATUS_REASONS = ['manual', 'receipt', 'damage', 'transfer', 'other'] as const;
const CURRENCIES = [
  ['EUR', 0.6],
  ['USD', 0.35],
  ['JPY', 0.05],
] as const;

export function generateStream(opts: StreamOptions): Stream {
  const rnd = mulberry32(opts.seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const chance = (p: number) => rnd() < p;
  const base = ms(opts.base ?? '2026-03-02T00:00:00.000Z');
  const MIN = 60_000;
  // movements fall on whole seconds, recounts on half seconds: a movement is never exactly at a count
  const at = (t: number) => new Date(Math.floor(t / 1000) * 1000).toISOString();
  const iso = (t: number) => new Date(t).toISOString();

  const skus = Array.from({ length: opts.skus }, (_, i) => `SOAK-${String(i + 1).padStart(3, '0')}`);
  const locations = Array.from({ length: opts.locations }, (_, i) => `WH-${String.fromCharCode(65 + i)}`);
  // minor units per SKU in EUR/USD; JPY prices are whole yen
  const price = new Map(skus.map((s, i) => [s, 490 + ((i * 737) % 4500)]));
  const priceIn = (sku: string, cur: string) =>
    cur === 'JPY' ? String(price.get(sku)! * 2) : formatMajor(price.get(sku)!, cur);

  const deliveries: SoakDelivery[] = [];
  let n = 0;
  const push = (event: SoakEvent, body: unknown, emittedAt: number) => {
    n++;
    deliveries.push({
      webhookId: `msg_soak_${opts.seed}_${n}`,
      event,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      emittedAt: iso(emittedAt),
    });
  };

  // initial counts, before everything: bulk stock.set, at most 10 counts per delivery
  const initialAsOf = iso(base);
  for (const loc of locations) {
    for (let i = 0; i < skus.length; i += 10) {
      const counts = skus.slice(i, i + 10).map((sku) => ({ sku, location: loc, onHand: int(40, 250) }));
      push(
        { kind: 'stock.set', counts, asOf: initialAsOf },
        { type: 'stock.set', timestamp: initialAsOf, data: { asOf: initialAsOf, counts } },
        base,
      );
    }
  }

  // orders
  for (let i = 1; i <= opts.orders; i++) {
    const orderId = `SO-${i}`;
    const location = pick(locations);
    const currency = (() => {
      let r = rnd();
      for (const [c, w] of CURRENCIES) if ((r -= w) < 0) return c;
      return 'EUR';
    })();
    const nLines = pick([1, 1, 1, 2, 2, 3]);
    const chosen = new Set<string>();
    while (chosen.size < nLines) chosen.add(pick(skus));
    const lines: OrderLine[] = [...chosen].map((sku, j) => ({
      lineId: String(j + 1),
      sku,
      qty: int(1, 4),
      unitPrice: priceIn(sku, currency),
    }));
    const sum = lines.reduce((s, l) => s + minorUnits(l.unitPrice, currency) * l.qty, 0);
    const total = chance(0.8) ? formatMajor(sum, currency) : undefined;
    const created = base + 30 * MIN + int(0, 6 * 3600) * 1000;
    const createdAt = at(created);
    const common = {
      kind: 'order.upserted' as const,
      orderId,
      createdAt,
      currency,
      location,
      lines,
      ...(total ? { total } : {}),
    };
    const emitUpsert = (e: OrderUpsertedEvent, t: number) => {
      const data: Record<string, unknown> = {
        orderId: e.orderId,
        orderNumber: e.orderId.slice(3),
        status: e.status,
        createdAt: e.createdAt,
        updatedAt: e.updatedAt,
        version: e.version,
        currency: e.currency,
        locationId: e.location,
        lines: e.lines.map((l) => ({ lineId: l.lineId, sku: l.sku, quantity: l.qty, unitPrice: l.unitPrice })),
      };
      if (e.total !== undefined) data.total = e.total;
      if (e.fulfilledAt) data.fulfilledAt = e.fulfilledAt;
      if (e.cancelledAt) data.cancelledAt = e.cancelledAt;
      push(e, { type: 'order.upserted', timestamp: e.updatedAt, data }, t);
    };
    const v1: OrderUpsertedEvent = {
      ...common,
      version: 1,
      status: chance(0.5) ? 'pending_payment' : 'paid',
      updatedAt: createdAt,
    };
    emitUpsert(v1, created);
    const fate = rnd();
    const t2 = created + int(5, 60) * MIN;
    if (fate < 0.12) {
      // cancelled before shipping: by an order.cancelled, or by an upsert with status cancelled
      const cancelledAt = at(t2 + int(1, 30) * MIN);
      if (chance(0.3))
        emitUpsert(
          { ...common, version: 2, status: 'cancelled', updatedAt: cancelledAt, cancelledAt },
          ms(cancelledAt),
        );
      else {
        if (chance(0.3)) emitUpsert({ ...common, version: 2, status: 'processing', updatedAt: at(t2) }, t2);
        push(
          { kind: 'order.cancelled', orderId, cancelledAt },
          { type: 'order.cancelled', timestamp: cancelledAt, data: { orderId, cancelledAt, reason: 'customer' } },
          ms(cancelledAt),
        );
      }
      continue;
    }
    if (chance(0.7)) emitUpsert({ ...common, version: 2, status: 'processing', updatedAt: at(t2) }, t2);
    let cancelledLine: string | undefined;
    if (lines.length >= 2 && chance(0.15)) {
      cancelledLine = pick(lines).lineId;
      const cancelledAt = at(t2 + int(1, 20) * MIN);
      push(
        { kind: 'order.cancelled', orderId, cancelledAt, lineIds: [cancelledLine] },
        {
          type: 'order.cancelled',
          timestamp: cancelledAt,
          data: { orderId, cancelledAt, reason: 'out of stock', lineIds: [cancelledLine] },
        },
        ms(cancelledAt),
      );
    }
    if (fate < 0.72) {
      const shipped = t2 + int(30, 5 * 60) * MIN;
      const fulfilledAt = at(shipped);
      const explicit = chance(0.5);
      emitUpsert(
        { ...common, version: 3, status: 'fulfilled', updatedAt: fulfilledAt, ...(explicit ? { fulfilledAt } : {}) },
        shipped,
      );
      if (chance(0.2)) {
        const active = lines.filter((l) => l.lineId !== cancelledLine);
        const nRefunds = chance(0.15) && active.length > 1 ? 2 : 1;
        for (let r = 0; r < nRefunds; r++) {
          const line = active[r]!;
          const qty = int(1, line.qty);
          const restock = chance(0.7);
          const t = shipped + int(10, 180) * MIN;
          const processedAt = at(t);
          const amount = formatMajor(minorUnits(line.unitPrice, currency) * qty, currency);
          const refundId = `RF-${i}-${r + 1}`;
          const ev: RefundRecordedEvent = {
            kind: 'refund.recorded',
            orderId,
            refundId,
            amount,
            currency,
            processedAt,
            lines: [{ lineId: line.lineId, sku: line.sku, qty, restock, location }],
          };
          push(
            ev,
            {
              type: 'refund.recorded',
              timestamp: processedAt,
              data: {
                orderId,
                refundId,
                amount,
                currency,
                processedAt,
                lines: [{ lineId: line.lineId, sku: line.sku, quantity: qty, restock, locationId: location }],
              },
            },
            t,
          );
        }
      }
    }
  }

  // adjustments
  for (let i = 1; i <= opts.adjustments; i++) {
    const t = base + int(5 * 60, 8 * 3600) * 1000;
    const e: StockAdjustedEvent = {
      kind: 'stock.adjusted',
      sku: pick(skus),
      location: pick(locations),
      delta: chance(0.4) ? -int(1, 3) : int(1, 12),
      reason: pick(STATUS_REASONS),
      key: `soak-adj-${opts.seed}-${i}`,
      at: at(t),
    };
    push(
      e,
      {
        type: 'stock.adjusted',
        timestamp: e.at,
        data: { sku: e.sku, location: e.location, delta: e.delta, reason: e.reason, idempotencyKey: e.key, at: e.at },
      },
      t,
    );
  }

  // recounts: the count is the truth from asOf on (half seconds: never equal to a movement's time)
  const recounted = new Set<string>();
  for (let i = 1; i <= opts.recounts; i++) {
    const sku = pick(skus);
    const location = pick(locations);
    const t = base + int(3600, 7 * 3600) * 1000 + 500;
    const k = `${sku}|${location}|${t}`;
    if (recounted.has(k)) continue;
    recounted.add(k);
    const asOf = iso(t);
    const counts = [{ sku, location, onHand: int(20, 150) }];
    push(
      { kind: 'stock.set', counts, asOf },
      { type: 'stock.set', timestamp: asOf, data: { sku, location, onHand: counts[0]!.onHand, asOf } },
      t,
    );
  }

  // malformed deliveries: valid signatures, bodies the hub must quarantine
  const valid = deliveries.length;
  const nBad = Math.max(1, Math.round(valid * opts.malformedRate));
  for (let i = 1; i <= nBad; i++) {
    const t = base + int(0, 8 * 3600) * 1000;
    const ts = at(t);
    const variant = pick([
      'no-idempotency-key',
      'quantity-string',
      'unknown-type',
      'not-json',
      'amount-number',
      'no-sku',
    ] as const);
    let body: unknown;
    switch (variant) {
      case 'no-idempotency-key':
        body = {
          type: 'stock.adjusted',
          timestamp: ts,
          data: { sku: skus[0], location: locations[0], delta: 5, reason: 'receipt' },
        };
        break;
      case 'quantity-string':
        body = {
          type: 'order.upserted',
          timestamp: ts,
          data: {
            orderId: `BAD-${i}`,
            status: 'paid',
            createdAt: ts,
            updatedAt: ts,
            currency: 'EUR',
            lines: [{ sku: skus[0], quantity: '2', unitPrice: '9.90' }],
          },
        };
        break;
      case 'unknown-type':
        body = { type: 'order.exploded', timestamp: ts, data: { orderId: `BAD-${i}` } };
        break;
      case 'not-json':
        body = `{"type":"stock.set","timestamp":"${ts}","data":{"sku":"${skus[0]}"`;
        break;
      case 'amount-number':
        body = {
          type: 'refund.recorded',
          timestamp: ts,
          data: { orderId: `BAD-${i}`, refundId: `BAD-R-${i}`, amount: 12.5, currency: 'EUR', processedAt: ts },
        };
        break;
      case 'no-sku':
        body = { type: 'stock.set', timestamp: ts, data: { location: locations[0], onHand: 999, asOf: ts } };
        break;
    }
    push({ kind: 'malformed', variant }, body, t);
  }

  // sending order: by emission time, shuffled within windows; duplicates a little later
  const W = Math.max(1, opts.shuffleWindow);
  const byTime = deliveries.map((d, i) => ({ i, t: ms(d.emittedAt) })).sort((a, b) => a.t - b.t || a.i - b.i);
  const keyed: { i: number; k: number }[] = [];
  byTime.forEach(({ i }, rank) => {
    keyed.push({ i, k: rank + rnd() * W });
    if (chance(opts.duplicateRate)) {
      const copies = chance(0.3) ? 2 : 1;
      for (let c = 0; c < copies; c++) keyed.push({ i, k: rank + rnd() * 4 * W });
    }
  });
  keyed.sort((a, b) => a.k - b.k);
  return { deliveries, sends: keyed.map((x) => x.i) };
}

// ---- what a delivery's effect looks like in the table ----------------------------------------

/** The items `effectVisible` reads, keyed as the hub keys them (shared/table/keys.ts). */
export interface TableView {
  /** `SKU#<sku>|LOC#<loc>` → countAsOf of the balance item */
  countAsOf: Map<string, string>;
  /** every `pk|sk` of ledger rows (`MOVE#…`) */
  ledger: Set<string>;
  /** orderId → stored order (state.version.seq, cancel, refunds) */
  orders: Map<string, { seq?: number; cancelWhole: boolean; cancelLines: string[]; refundIds: string[] }>;
}

/**
 * Is this delivery's effect in the table? A stock count: the balance's count is as new or newer;
 * a movement: its ledger row exists; an order version: the stored order is that version or newer
 * (an older version is subsumed by the merge); a cancellation: the order is cancelled (those
 * lines); a refund: recorded on the order. Malformed deliveries have none (they are quarantined).
 */
export function effectVisible(e: SoakEvent, view: TableView, channel: string): boolean {
  switch (e.kind) {
    case 'stock.set':
      return e.counts.every((c) => {
        const seen = view.countAsOf.get(`SKU#${c.sku}|LOC#${c.location}`);
        return seen !== undefined && ms(seen) >= ms(e.asOf);
      });
    case 'stock.adjusted':
      return view.ledger.has(`SKU#${e.sku}|MOVE#${e.location}#${new Date(e.at).toISOString()}#adj:${channel}:${e.key}`);
    case 'order.upserted': {
      const o = view.orders.get(e.orderId);
      return o?.seq !== undefined && o.seq >= e.version;
    }
    case 'order.cancelled': {
      const o = view.orders.get(e.orderId);
      if (!o) return false;
      if (o.cancelWhole) return true;
      return e.lineIds !== undefined && e.lineIds.every((l) => o.cancelLines.includes(l));
    }
    case 'refund.recorded':
      return view.orders.get(e.orderId)?.refundIds.includes(e.refundId) ?? false;
    case 'malformed':
      return false;
  }
}
