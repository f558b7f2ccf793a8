import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashCustomers } from '#shared/domain/customer-hash.ts';
import type { OrderLine, OrderUpserted } from '#shared/domain/events.ts';
import { addInto, emptySums, measuresOf, sumsOfItem } from '#shared/kpi/measures.ts';
import { evaluateStandards } from '#shared/kpi/standards.ts';
import { applyEvents } from '#shared/normalize/apply.ts';
import { foldStreamBatch, resolveRollupZone } from '#shared/stream/fold-apply.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
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
}

function event(s: Spec, edited: boolean): OrderUpserted {
  const at = edited ? new Date(Date.parse(s.createdAt) + 3600_000).toISOString() : s.createdAt;
  const cents = (c: number) => c + (edited ? (s.editCents ?? 0) : 0);
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
  for (const s of specs) {
    if (s.customer < 0) continue;
    const best = new Map<number, number>();
    for (const l of s.lines) {
      const c = l.cents + (s.editCents ?? 0);
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

/** Applies the deliveries in `order` (an index past the specs is that spec's edit), folding in batches. */
async function run(deliveries: OrderUpserted[], order: number[], batch: number): Promise<MemoryTable> {
  const table = new MemoryTable();
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
  for (const i of order) {
    await applyEvents(table, hashCustomers([deliveries[i]!], SALT), fixedClock());
    await drain(true);
  }
  await drain(false);
  return table;
}

function deliveriesOf(specs: Spec[]): OrderUpserted[] {
  return [...specs.map((s) => event(s, false)), ...specs.filter((s) => s.editCents).map((s) => event(s, true))];
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
