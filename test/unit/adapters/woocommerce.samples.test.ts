import { describe, expect, it } from 'vitest';
import type { OrderLine } from '#shared/domain/events.ts';
import { adapt } from '#shared/adapters/index.ts';
import { planStockFold } from '#shared/inventory/stock-fold.ts';
import { applyEvents } from '#shared/normalize/apply.ts';
import { keys } from '#shared/table/keys.ts';
import { inputFor, payloadText } from '#test/fixtures/payloads.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { fixedClock, TEST_NOW } from '../../support/clock.ts';
import { UNASSIGNED_LOCATION } from '#shared/inventory/locations.ts';

/**
 * The WooCommerce REST v3 docs' order example (order 727) through its lifecycle, and a variation's
 * product.updated (test/fixtures/payloads/woocommerce/README.md says what each mirrors).
 */
function run(topic: string, name: string) {
  const input = inputFor('woocommerce', topic, payloadText('woocommerce', name), { receivedAt: TEST_NOW });
  const from = { channel: input.delivery.channel, source: 'woocommerce', deliveryId: input.delivery.deliveryId };
  return { events: adapt(input), from };
}

const usd = (amount: string) => ({ amount, currency: 'USD' });

const LINES: OrderLine[] = [
  // product 93 has `"sku": ""`: no SKU is invented, the line is resolved by its product id
  { lineId: '315', externalItemId: 'product:93', productId: '93', quantity: 2, unitPrice: usd('3') },
  { lineId: '316', sku: 'Bar3', externalItemId: 'variation:23', productId: '22', quantity: 1, unitPrice: usd('12') },
];

const upserted = {
  type: 'OrderUpserted',
  orderId: '727',
  orderNumber: '727',
  createdAt: '2017-03-22T19:28:02Z',
  total: usd('29.35'),
  shipToCountry: 'US',
  // the docs' order 727 is a guest's (customer_id 0): its billing email is the customer
  customerRef: 'email:john.doe@example.com',
  lines: LINES,
} as const;

describe('woocommerce published samples: the docs order 727', () => {
  it('order.created (processing): both lines with the empty-SKU line keyed by product, total with tax and shipping', () => {
    // Prepare + Act
    const { events, from } = run('order.created', 'order-created-docs');
    // Assess
    expect(events).toEqual([
      {
        ...from,
        ...upserted,
        occurredAt: '2017-03-22T19:28:08Z',
        status: 'processing',
        rawStatus: { status: 'processing' },
        version: { at: '2017-03-22T19:28:08Z' },
      },
    ]);
  });

  it('order.updated (on-hold, date_paid null) maps the newer version', () => {
    // Prepare + Act
    const { events, from } = run('order.updated', 'order-updated-docs');
    // Assess
    expect(events).toEqual([
      {
        ...from,
        ...upserted,
        occurredAt: '2017-03-23T12:12:40Z',
        status: 'on_hold',
        rawStatus: { status: 'on-hold' },
        version: { at: '2017-03-23T12:12:40Z' },
      },
    ]);
  });

  it('order.updated (completed) ships at date_completed_gmt', () => {
    // Prepare + Act
    const { events, from } = run('order.updated', 'order-completed-docs');
    // Assess
    expect(events).toEqual([
      {
        ...from,
        ...upserted,
        occurredAt: '2017-03-25T14:10:41Z',
        status: 'fulfilled',
        rawStatus: { status: 'completed' },
        version: { at: '2017-03-25T14:10:41Z' },
        fulfilledAt: '2017-03-25T14:10:40Z',
      },
    ]);
  });

  it('order.updated (refunded) records the refund with its amount made positive', () => {
    // Prepare + Act
    const { events, from } = run('order.updated', 'order-refunded-docs');
    // Assess
    expect(events).toEqual([
      {
        ...from,
        ...upserted,
        occurredAt: '2017-03-27T13:02:15Z',
        status: 'refunded',
        rawStatus: { status: 'refunded' },
        version: { at: '2017-03-27T13:02:15Z' },
        fulfilledAt: '2017-03-25T14:10:40Z',
      },
      {
        ...from,
        type: 'RefundRecorded',
        occurredAt: '2017-03-27T13:02:15Z',
        orderId: '727',
        refundId: '726',
        amount: usd('29.35'),
        processedAt: '2017-03-27T13:02:15Z',
        lines: [],
      },
    ]);
  });

  it('product.updated of a variation maps it by product id and by variation id, with its stock', () => {
    // Prepare + Act
    const { events, from } = run('product.updated', 'product-updated-variation');
    // Assess
    const base = { ...from, occurredAt: '2017-03-23T11:40:12Z' };
    expect(events).toEqual([
      {
        ...base,
        type: 'StockLevelSet',
        sku: 'Bar3',
        // the listing the level is of (the echo check of a quantity the hub pushed compares it)
        inventoryItemId: 'variation:23',
        locationId: 'default',
        quantity: 14,
        bucket: 'on_hand',
        asOf: '2017-03-23T11:40:12Z',
      },
      { ...base, type: 'ListingMapped', externalId: 'product:23', sku: 'Bar3', at: '2017-03-23T11:40:12Z' },
      { ...base, type: 'ListingMapped', externalId: 'variation:23', sku: 'Bar3', at: '2017-03-23T11:40:12Z' },
    ]);
  });
});

describe('woocommerce: the empty-SKU line through apply', () => {
  it('unmapped, it is kept on the order and reserves nothing; only the SKU line reserves', async () => {
    // Prepare
    const t = new MemoryTable();
    // Act
    await applyEvents(t, run('order.created', 'order-created-docs').events, fixedClock());
    const plans = planStockFold(t.streamFrom(0).changes);
    // Assess
    expect(plans.map((p) => [p.key, p.changes.map((c) => c.reserved)])).toEqual([
      [keys.balance('Bar3', UNASSIGNED_LOCATION), [1]],
    ]);
    const stored = await t.get(keys.order('woocommerce-main', '727'));
    expect((stored?.state as { lines: unknown[] }).lines[0]).toEqual({
      lineId: '315',
      sku: 'UNMAPPED:product:93',
      qty: 2,
      location: UNASSIGNED_LOCATION,
      unitMinor: 300,
      unmapped: true,
    });
  });

  it('once product 93 is mapped, the line resolves to its SKU and reserves it', async () => {
    // Prepare
    const t = new MemoryTable();
    const clock = fixedClock();
    await applyEvents(
      t,
      [
        {
          channel: 'woocommerce-main',
          source: 'woocommerce',
          deliveryId: 'd0',
          occurredAt: '2017-03-01T00:00:00Z',
          type: 'ListingMapped',
          externalId: 'product:93',
          sku: 'WOO-SINGLE-1',
          at: '2017-03-01T00:00:00Z',
        },
      ],
      clock,
    );
    const from = t.streamFrom(0).next;
    // Act
    await applyEvents(t, run('order.created', 'order-created-docs').events, clock);
    const plans = planStockFold(t.streamFrom(from).changes);
    // Assess
    expect(plans.map((p) => [p.key, p.changes.map((c) => c.reserved)])).toEqual([
      [keys.balance('WOO-SINGLE-1', UNASSIGNED_LOCATION), [2]],
      [keys.balance('Bar3', UNASSIGNED_LOCATION), [1]],
    ]);
  });
});

describe('woocommerce: completed, then refunded', () => {
  it('the refund leaves the shipped units shipped (no restock without refund lines)', async () => {
    // Prepare
    const t = new MemoryTable();
    const clock = fixedClock();
    await applyEvents(t, run('order.updated', 'order-completed-docs').events, clock);
    const from = t.streamFrom(0).next;
    // Act
    await applyEvents(t, run('order.updated', 'order-refunded-docs').events, clock);
    const plans = planStockFold(t.streamFrom(from).changes);
    // Assess
    expect(plans.flatMap((p) => p.changes.flatMap((c) => c.moves))).toEqual([]);
    expect(plans.flatMap((p) => p.changes.map((c) => c.reserved)).filter((r) => r !== 0)).toEqual([]);
  });
});
