import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashCustomers } from '#shared/domain/customer-hash.ts';
import type { OrderLine, OrderUpserted } from '#shared/domain/events.ts';
import { addInto, emptySums, measuresOf, sumsOfItem } from '#shared/kpi/measures.ts';
import { evaluateStandards } from '#shared/kpi/standards.ts';
import { applyEvents } from '#shared/normalize/apply.ts';
import { foldStreamBatch, resolveRollupZone } from '#shared/stream/fold-apply.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import type { TablePort, WriteOp } from '#shared/table/port.ts';
import { settleCustomerItems } from '#shared/kpi/customer-items.ts';
import { fixedClock, fixedMsClock } from '../../support/clock.ts';

const SALT = 'test-salt-0123456789abcdef';
const SHARD = 'shardId-00000001763900000000-abcdef01';
const CUSTOMERS = ['id:1001', 'id:18446744073709551615', 'email:ann@example.com'];
const PRODUCTS = ['632910392', '921728736', '9007199254740993'];

interface Spec {
  orderId: string;
  /** index into CUSTOMERS, or -1 for a guest */
  customer: number;
  createdAt: string;
  currency: 'USD' | 'EUR';
  /** index into PRODUCTS and the unit price in cents; two lines of one product are two variants */
  lines: { product: number; cents: number }[];
  /** a later version of the order with every price raised by this many cents (an edit) */
  editCents?: number;
  /** the edit names another customer (an index into CUSTOMERS, -1 a guest) */
  editCustomer?: number;
  /** the edit drops the order's last line (its product, when no other line has it) */
  editDrop?: boolean;
}

const edits = (s: Spec) => s.editCents !== undefined || s.editCustomer !== undefined || s.editDrop === true;

/** What the order says once its last version is in: the edit's customer, lines and prices. */
function final(s: Spec): Spec {
  if (!edits(s)) return s;
  return {
    ...s,
    customer: s.editCustomer ?? s.customer,
    lines: (s.editDrop && s.lines.length > 1 ? s.lines.slice(0, -1) : s.lines).map((l) => ({
      ...l,
      cents: l.cents + (s.editCents ?? 0),
    })),
  };
}

function event(spec: Spec, edited: boolean): OrderUpserted {
  const at = edited ? new Date(Date.parse(spec.createdAt) + 3600_000).toISOString() : spec.createdAt;
  const s = edited ? final(spec) : spec;
  const cents = (c: number) => c;
  const e: OrderUpserted = {
    type: 'OrderUpserted',
    channel: 'shop',
    source: 'hub',
    deliveryId: `d-${s.orderId}-${edited ? 2 : 1}`,
    occurredAt: at,
    orderId: s.orderId,
    status: 'paid',
    rawStatus: { status: 'paid' },
    createdAt: s.createdAt,
    version: { at },
    lines: s.lines.map(
      (l, i): OrderLine => ({
        lineId: `l${i}`,
        sku: `SKU-${l.product}-${i}`,
        quantity: 1,
        unitPrice: { amount: (cents(l.cents) / 100).toFixed(2), currency: s.currency },
        productId: PRODUCTS[l.product]!,
      }),
    ),
  };
  if (s.customer >= 0) e.customerRef = CUSTOMERS[s.customer]!;
  return e;
}

/**
 * The expected month figures, computed straight from the orders' final versions (no table, no
 * fold): per customer and product, its orders by creation time then id; each after the first is a
 * repeat, an upsell when its highest unit price of the product beats the first's in the same currency.
 */
function expected(specs: Spec[]): Map<string, { repeats: number; upsells: number }> {
  const out = new Map<string, { repeats: number; upsells: number }>();
  const groups = new Map<string, { at: string; id: string; cents: number; currency: string }[]>();
  for (const s of specs.map(final)) {
    if (s.customer < 0) continue;
    const best = new Map<number, number>();
    for (const l of s.lines) {
      const c = l.cents;
      best.set(l.product, Math.max(best.get(l.product) ?? -1, c));
    }
    for (const [p, cents] of best) {
      const k = `${s.customer}/${p}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push({ at: s.createdAt, id: s.orderId, cents, currency: s.currency });
    }
  }
  for (const list of groups.values()) {
    list.sort((a, b) => (a.at !== b.at ? (a.at < b.at ? -1 : 1) : a.id < b.id ? -1 : 1));
    const [first, ...later] = list;
    for (const p of later) {
      const m = p.at.slice(0, 7);
      const r = out.get(m) ?? { repeats: 0, upsells: 0 };
      r.repeats += 1;
      if (p.currency === first!.currency && p.cents > first!.cents) r.upsells += 1;
      out.set(m, r);
    }
  }
  return out;
}

/**
 * A table whose writes fail at `rate`: half before DynamoDB applies them, half after (a lost
 * response) — between an order's put and its customer items, or between two of those.
 */
function faulty(table: MemoryTable, rate: number, rand: () => number): TablePort {
  return new Proxy(table, {
    get(target, prop, receiver) {
      if (prop !== 'write') return Reflect.get(target, prop, receiver);
      return async (ops: WriteOp[]) => {
        if (rand() < rate / 2) throw new Error('Rate exceeded');
        await target.write(ops);
        if (rand() < rate / 2) throw new Error('socket hang up after the write');
      };
    },
  });
}

/**
 * Applies the deliveries in `order` (an index past the specs is that spec's edit), folding in
 * batches; with `faults`, writes fail and a failed delivery comes back later, as SQS redelivers it.
 */
async function run(
  deliveries: OrderUpserted[],
  order: number[],
  batch: number,
  faults?: { rate: number; seed: number },
): Promise<MemoryTable> {
  const table = new MemoryTable();
  let seed = (faults?.seed ?? 1) >>> 0 || 1;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const writer = faults ? faulty(table, faults.rate, rand) : table;
  const deps = {
    table,
    rollupZone: () => resolveRollupZone(table, 'UTC'),
    now: fixedMsClock(),
    channels: { list: async () => [] },
    publisher: { publish: async () => {} },
  };
  let pos = 0;
  const drain = async (retry: boolean) => {
    for (;;) {
      const { changes, next } = table.streamFrom(pos, batch);
      if (changes.length === 0) return;
      await foldStreamBatch(deps, SHARD, changes);
      // a retried batch (the same records again) must change nothing
      if (retry) await foldStreamBatch(deps, SHARD, changes);
      pos = next;
    }
  };
  const queue = [...order];
  for (let n = 0; queue.length > 0; n++) {
    if (n > 10_000) throw new Error('did not converge');
    const i = queue.shift()!;
    try {
      await applyEvents(writer, hashCustomers([deliveries[i]!], SALT), fixedClock());
    } catch {
      queue.splice(Math.floor(rand() * (queue.length + 1)), 0, i);
    }
    await drain(true);
  }
  await drain(false);
  return table;
}

function deliveriesOf(specs: Spec[]): OrderUpserted[] {
  return [...specs.map((s) => event(s, false)), ...specs.filter(edits).map((s) => event(s, true))];
}

/** Each customer-product item's non-empty purchase list, by key. */
function purchaseLists(table: MemoryTable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const it of table.items())
    if (it.type === 'customer-product' && Object.keys(it.o as object).length > 0) out[String(it.pk)] = it.o;
  return out;
}

function monthFigures(table: MemoryTable): Map<string, { repeats: number; upsells: number }> {
  const out = new Map<string, { repeats: number; upsells: number }>();
  for (const it of table.items()) {
    if (it.type !== 'kpi-month') continue;
    const s = sumsOfItem(it);
    if (s.repeatPurchases === 0 && s.upsells === 0) continue;
    out.set(String(it.month), { repeats: s.repeatPurchases, upsells: s.upsells });
  }
  return out;
}

const specArb = fc
  .array(
    fc.record({
      customer: fc.integer({ min: -1, max: CUSTOMERS.length - 1 }),
      offset: fc.integer({ min: 0, max: 90 * 86400 - 1 }),
      currency: fc.constantFrom<'USD' | 'EUR'>('USD', 'USD', 'EUR'),
      lines: fc.array(
        fc.record({
          product: fc.integer({ min: 0, max: PRODUCTS.length - 1 }),
          cents: fc.integer({ min: 1, max: 40 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      editCents: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
      editCustomer: fc.option(fc.integer({ min: -1, max: CUSTOMERS.length - 1 }), { freq: 4, nil: undefined }),
      editDrop: fc.boolean(),
    }),
    { minLength: 1, maxLength: 10 },
  )
  .map((rows) =>
    rows.map((r, i): Spec => {
      const s: Spec = {
        orderId: `o${i}`,
        customer: r.customer,
        // some on the same second, so the order id breaks the tie
        createdAt: new Date(Date.parse('2026-01-01T00:00:00Z') + (r.offset - (r.offset % 7)) * 1000).toISOString(),
        currency: r.currency,
        lines: r.lines,
      };
      if (r.editCents !== undefined) s.editCents = r.editCents;
      if (r.editCustomer !== undefined) s.editCustomer = r.editCustomer;
      if (r.editDrop) s.editDrop = true;
      return s;
    }),
  );

describe('upsell rate', () => {
  it('folds the same counters as an independent count, whatever the arrival order, batches, edits and retries', async () => {
    await fc.assert(
      fc.asyncProperty(
        specArb.chain((specs) => {
          const n = deliveriesOf(specs).length;
          return fc.tuple(
            fc.constant(specs),
            // every delivery once, in any order, then a few again (redeliveries)
            fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
            fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }),
            fc.integer({ min: 1, max: 5 }),
          );
        }),
        async ([specs, order, again, batch]) => {
          // Act
          const table = await run(deliveriesOf(specs), [...order, ...again], batch);

          // Assess
          expect(monthFigures(table)).toEqual(expected(specs));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('counts the same when writes fail before or after DynamoDB applied them and deliveries come back later', async () => {
    await fc.assert(
      fc.asyncProperty(
        specArb.chain((specs) => {
          const n = deliveriesOf(specs).length;
          return fc.tuple(
            fc.constant(specs),
            fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
            fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }),
            fc.integer({ min: 1, max: 5 }),
            fc.integer(),
          );
        }),
        async ([specs, order, again, batch, seed]) => {
          // Act: 30% of writes fail, half of them after the write was applied
          const table = await run(deliveriesOf(specs), [...order, ...again], batch, { rate: 0.3, seed });

          // Assess: the counters and each purchase list are what the orders' last versions say
          expect(monthFigures(table)).toEqual(expected(specs));
          expect(purchaseLists(table)).toEqual(purchaseLists(await run(deliveriesOf(specs), [...order], 1)));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('finishes an order whose customer items were never written, and a stale writer puts nothing back', async () => {
    // Arrange: v1 names customer 0 buying products 0 and 1; its edit (v2) moves it to customer 1
    // and drops product 1. v1's write of the order succeeds, then the function dies.
    const spec: Spec = {
      orderId: 'o1',
      customer: 0,
      createdAt: '2026-01-10T09:00:00.000Z',
      currency: 'USD',
      lines: [
        { product: 0, cents: 1000 },
        { product: 1, cents: 1500 },
      ],
      editCustomer: 1,
      editDrop: true,
    };
    const [v1, v2] = deliveriesOf([spec]);
    const table = new MemoryTable();
    let crash = true;
    const dying = new Proxy(table, {
      get(target, prop, receiver) {
        if (prop !== 'write') return Reflect.get(target, prop, receiver);
        return async (ops: WriteOp[]) => {
          await target.write(ops);
          if (crash && ops.some((op) => op.kind === 'put' && op.item.type === 'order'))
            throw new Error('function died');
        };
      },
    });
    const apply = (e: OrderUpserted, t: TablePort = table) => applyEvents(t, hashCustomers([e], SALT), fixedClock());

    // Act 1: v1 stores the order and dies before its customer items
    await expect(apply(v1!, dying)).rejects.toThrow('function died');
    const v1Item = table.items().find((it) => it.type === 'order')!;
    const lists1 = purchaseLists(table);

    // Act 2: v1's redelivery changes nothing in the order and finishes its customer items
    crash = false;
    expect(await apply(v1!)).toBe(0);
    const lists2 = purchaseLists(table);

    // Act 3: v2 arrives; then a slow writer of v1 settles v1's (now stale) customer items
    await apply(v2!);
    const written = await settleCustomerItems(table, v1Item, { consistent: true });

    // Assess
    expect(lists1).toEqual({});
    expect(Object.keys(lists2)).toHaveLength(2);
    expect(written).toBe(0);
    // only v2's purchase is listed (v1's customer's lists were taken back)
    expect(Object.values(purchaseLists(table))).toEqual([{ o1: '2026-01-10T09:00:00.000Z|1000|USD' }]);
    const first = table.items().filter((it) => it.type === 'customer');
    expect(first).toHaveLength(2); // a first mark is never raised (docs/kpis.md): both customers keep theirs
  });

  it('re-judges later purchases when an earlier, cheaper order arrives last', async () => {
    // Arrange: customer 0 buys product 0 at 30.00 in February, 25.00 in March (not an upsell over
    // February), then the January order at 20.00 arrives last: both later ones become upsells
    const specs: Spec[] = [
      {
        orderId: 'b',
        customer: 0,
        createdAt: '2026-02-10T09:00:00.000Z',
        currency: 'USD',
        lines: [{ product: 0, cents: 3000 }],
      },
      {
        orderId: 'c',
        customer: 0,
        createdAt: '2026-03-10T09:00:00.000Z',
        currency: 'USD',
        lines: [{ product: 0, cents: 2500 }],
      },
      {
        orderId: 'a',
        customer: 0,
        createdAt: '2026-01-10T09:00:00.000Z',
        currency: 'USD',
        lines: [{ product: 0, cents: 2000 }],
      },
    ];
    const deliveries = deliveriesOf(specs);

    // Act: before the January order, then after it
    const early = monthFigures(await run(deliveries, [0, 1], 1));
    const table = await run(deliveries, [0, 1, 2], 1);

    // Assess
    expect(early).toEqual(new Map([['2026-03', { repeats: 1, upsells: 0 }]]));
    expect(monthFigures(table)).toEqual(
      new Map([
        ['2026-02', { repeats: 1, upsells: 1 }],
        ['2026-03', { repeats: 1, upsells: 1 }],
      ]),
    );
    const total = table
      .items()
      .filter((it) => it.type === 'kpi-month')
      .reduce((s, it) => addInto(s, sumsOfItem(it)), emptySums());
    expect(measuresOf(total).upsell).toEqual({ repeatPurchases: 2, upsells: 2, rate: 1 });
    // the product item holds no customer id, only its salted hash
    expect(JSON.stringify(table.items())).not.toContain('id:1001');
  });

  it('judges the minUpsellRate standard on the range, and leaves it unevaluated without repeat purchases', () => {
    // Arrange
    const total = { ...emptySums(), repeatPurchases: 8, upsells: 2 };

    // Act / Assess
    expect(evaluateStandards({ minUpsellRate: 0.25 }, { total } as never)).toMatchObject({ status: 'meets' });
    expect(evaluateStandards({ minUpsellRate: 0.3 }, { total } as never)).toMatchObject({
      status: 'below',
      failing: [{ measure: 'minUpsellRate', threshold: 0.3, actual: 0.25 }],
    });
    expect(evaluateStandards({ minUpsellRate: 0.3 }, { total: emptySums() } as never)).toMatchObject({
      notEvaluated: ['minUpsellRate'],
    });
  });
});
