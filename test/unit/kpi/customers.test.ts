import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { customerHash, hashCustomers } from '#shared/domain/customer-hash.ts';
import type { OrderUpserted } from '#shared/domain/events.ts';
import { sumsOfItem, measuresOf, addInto, emptySums } from '#shared/kpi/measures.ts';
import { evaluateStandards } from '#shared/kpi/standards.ts';
import { applyEvents } from '#shared/normalize/apply.ts';
import { foldStreamBatch, resolveRollupZone } from '#shared/stream/fold-apply.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { fixedClock, fixedMsClock } from '../../support/clock.ts';

const SALT = 'test-salt-0123456789abcdef';
const SHARD = 'shardId-00000001763900000000-abcdef01';

interface Spec {
  orderId: string;
  /** index into CUSTOMERS, or -1 for a guest */
  customer: number;
  createdAt: string;
  /** seconds between the quote and the order, when quoted */
  quoteSeconds?: number;
}

const CUSTOMERS = ['id:1001', 'id:18446744073709551615', 'email:ann@example.com', 'id:77'];

function event(s: Spec): OrderUpserted {
  const e: OrderUpserted = {
    type: 'OrderUpserted',
    channel: 'shop',
    source: 'hub',
    deliveryId: `d-${s.orderId}`,
    occurredAt: s.createdAt,
    orderId: s.orderId,
    status: 'paid',
    rawStatus: { status: 'paid' },
    createdAt: s.createdAt,
    version: { at: s.createdAt },
    lines: [{ lineId: 'l1', sku: 'A', quantity: 1, unitPrice: { amount: '10.00', currency: 'USD' } }],
  };
  if (s.customer >= 0) e.customerRef = CUSTOMERS[s.customer]!;
  if (s.quoteSeconds !== undefined)
    e.quotedAt = new Date(Date.parse(s.createdAt) - s.quoteSeconds * 1000).toISOString();
  return e;
}

/** The expected month figures, computed straight from the orders (no table, no fold). */
function expected(
  specs: Spec[],
): Map<string, { identified: number; newCustomers: number; quoted: number; cycle: number }> {
  const out = new Map<string, { identified: number; newCustomers: number; quoted: number; cycle: number }>();
  const at = (m: string) => {
    let r = out.get(m);
    if (!r) out.set(m, (r = { identified: 0, newCustomers: 0, quoted: 0, cycle: 0 }));
    return r;
  };
  const firsts = new Map<number, Spec>();
  for (const s of specs) {
    const m = at(s.createdAt.slice(0, 7));
    if (s.quoteSeconds !== undefined) {
      m.quoted += 1;
      m.cycle += s.quoteSeconds;
    }
    if (s.customer < 0) continue;
    m.identified += 1;
    const f = firsts.get(s.customer);
    if (!f || s.createdAt < f.createdAt || (s.createdAt === f.createdAt && s.orderId < f.orderId))
      firsts.set(s.customer, s);
  }
  for (const f of firsts.values()) at(f.createdAt.slice(0, 7)).newCustomers += 1;
  for (const [m, r] of out) if (r.identified === 0 && r.newCustomers === 0 && r.quoted === 0) out.delete(m);
  return out;
}

/** Applies the events one delivery at a time, folding the stream in batches of `batch`. */
async function run(specs: Spec[], order: number[], batch: number): Promise<MemoryTable> {
  const table = new MemoryTable();
  const deps = {
    table,
    rollupZone: () => resolveRollupZone(table, 'UTC'),
    now: fixedMsClock(),
    channels: { list: async () => [] },
    publisher: { publish: async () => {} },
  };
  let pos = 0;
  for (const i of order) {
    await applyEvents(table, hashCustomers([event(specs[i]!)], SALT), fixedClock());
    const { changes, next } = table.streamFrom(pos, batch);
    if (changes.length === 0) continue;
    await foldStreamBatch(deps, SHARD, changes);
    // a retried batch (the same records again) must change nothing
    await foldStreamBatch(deps, SHARD, changes);
    pos = next;
  }
  for (;;) {
    const { changes, next } = table.streamFrom(pos, batch);
    if (changes.length === 0) break;
    await foldStreamBatch(deps, SHARD, changes);
    pos = next;
  }
  return table;
}

function monthFigures(table: MemoryTable) {
  const out = new Map<string, { identified: number; newCustomers: number; quoted: number; cycle: number }>();
  for (const it of table.items()) {
    if (it.type !== 'kpi-month') continue;
    const s = sumsOfItem(it);
    if (s.identified === 0 && s.newCustomers === 0 && s.quoted === 0) continue;
    out.set(String(it.month), {
      identified: s.identified,
      newCustomers: s.newCustomers,
      quoted: s.quoted,
      cycle: s.cycleSeconds,
    });
  }
  return out;
}

const specArb = fc
  .array(
    fc.record({
      customer: fc.integer({ min: -1, max: CUSTOMERS.length - 1 }),
      // three months of 2026, to the second
      offset: fc.integer({ min: 0, max: 90 * 86400 - 1 }),
      quoteSeconds: fc.option(fc.integer({ min: 0, max: 30 * 86400 }), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((rows) =>
    rows.map((r, i): Spec => {
      const s: Spec = {
        orderId: `o${i}`,
        customer: r.customer,
        createdAt: new Date(Date.parse('2026-01-01T00:00:00Z') + r.offset * 1000).toISOString(),
      };
      if (r.quoteSeconds !== undefined) s.quoteSeconds = r.quoteSeconds;
      return s;
    }),
  );

describe('repeat customers and sales cycles', () => {
  it('stores customers only as salted hashes', async () => {
    // Arrange
    const spec: Spec = { orderId: 'o1', customer: 2, createdAt: '2026-02-01T10:00:00.000Z' };

    // Act
    const table = await run([spec], [0], 10);

    // Assess: neither the email nor the unsalted hash is anywhere in the table
    const dump = JSON.stringify(table.items());
    expect(dump).not.toContain('ann@example.com');
    expect(dump).toContain(customerHash(SALT, 'email:ann@example.com'));
    expect(hashCustomers([event(spec)], undefined)[0]).not.toHaveProperty('customerRef');
  });

  it('folds the same counters as an independent count, whatever the arrival order, batches and retries', async () => {
    await fc.assert(
      fc.asyncProperty(
        specArb.chain((specs) =>
          fc.tuple(
            fc.constant(specs),
            fc.shuffledSubarray(
              specs.map((_, i) => i),
              { minLength: specs.length, maxLength: specs.length },
            ),
            fc.integer({ min: 1, max: 5 }),
          ),
        ),
        async ([specs, order, batch]) => {
          // Act
          const table = await run(specs, order, batch);

          // Assess
          expect(monthFigures(table)).toEqual(expected(specs));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('turns the counters into a repeat rate, a mean sales cycle and the minRepeatRate standard', async () => {
    // Arrange: customer 0 orders in January and twice in February (the February ones arrive first);
    // customer 1 once in February; a guest in February; one quoted order 2 days before it was placed
    const specs: Spec[] = [
      { orderId: 'a', customer: 0, createdAt: '2026-02-10T09:00:00.000Z' },
      { orderId: 'b', customer: 0, createdAt: '2026-02-20T09:00:00.000Z', quoteSeconds: 2 * 86400 },
      { orderId: 'c', customer: 1, createdAt: '2026-02-21T09:00:00.000Z' },
      { orderId: 'd', customer: -1, createdAt: '2026-02-22T09:00:00.000Z' },
      { orderId: 'e', customer: 0, createdAt: '2026-01-05T09:00:00.000Z' },
    ];

    // Act
    const table = await run(specs, [0, 1, 2, 3, 4], 2);
    const feb = table.items().find((it) => it.type === 'kpi-month' && it.month === '2026-02')!;
    const m = measuresOf(sumsOfItem(feb));
    const total = table
      .items()
      .filter((it) => it.type === 'kpi-month')
      .reduce((s, it) => addInto(s, sumsOfItem(it)), emptySums());

    // Assess: in February a, b (customer 0 had ordered in January) are repeats; c is new; d is a guest
    expect(m.customers).toEqual({ identifiedOrders: 3, newCustomers: 1, repeatOrders: 2, repeatRate: 0.666667 });
    expect(m.salesCycle).toEqual({ quotedOrders: 1, meanDays: 2 });
    // over both months: 4 identified orders, 2 new customers → 0.5
    expect(evaluateStandards({ minRepeatRate: 0.5 }, { total } as never)).toMatchObject({ status: 'meets' });
    expect(evaluateStandards({ minRepeatRate: 0.6 }, { total } as never)).toMatchObject({
      status: 'below',
      failing: [{ measure: 'minRepeatRate', threshold: 0.6, actual: 0.5 }],
    });
  });
});
