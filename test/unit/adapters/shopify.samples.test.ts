import { describe, expect, it } from 'vitest';
import type { CanonicalEvent, OrderLine } from '#shared/domain/events.ts';
import { adapt } from '#shared/adapters/index.ts';
import { planStockFold } from '#shared/inventory/stock-fold.ts';
import { applyEvents } from '#shared/normalize/apply.ts';
import { keys } from '#shared/table/keys.ts';
import { inputFor, payloadText } from '#test/fixtures/payloads.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { fixedClock, TEST_NOW } from '../../support/clock.ts';
import { locateEvents } from '#shared/inventory/locate.ts';

/**
 * Published-sample fixtures (test/fixtures/payloads/shopify/README.md says which sample each
 * mirrors), delivered byte for byte so ids above 2^53 arrive as Shopify writes them.
 */
function run(topic: string, name: string) {
  const input = inputFor('shopify', topic, payloadText('shopify', name), { receivedAt: TEST_NOW });
  const from = { channel: input.delivery.channel, source: 'shopify', deliveryId: input.delivery.deliveryId };
  return { events: adapt(input), from };
}

const usd = (amount: string) => ({ amount, currency: 'USD' });

const TEST_ORDER_LINES: OrderLine[] = [
  {
    lineId: '487817672276298554',
    sku: 'SKU2006-001',
    quantity: 1,
    unitPrice: usd('89.99'),
    productId: '788032119674292922',
  },
  {
    lineId: '976318377106520349',
    sku: 'SKU2006-020',
    quantity: 1,
    unitPrice: usd('159.99'),
    productId: '788032119674292922',
  },
  {
    lineId: '315789986012684393',
    sku: 'SKU2006-035',
    quantity: 1,
    unitPrice: usd('119.99'),
    productId: '788032119674292922',
  },
];

const LIVE_LINES: OrderLine[] = [
  {
    lineId: '14498765433001',
    sku: 'MUG-BLUE-350',
    externalItemId: 'variant:46012345678901',
    productId: '8123456789012',
    quantity: 2,
    unitPrice: usd('19.90'),
  },
  // an empty SKU is left out: the line is resolved by its variant through the listing map
  {
    lineId: '14498765433002',
    externalItemId: 'variant:46012345679044',
    productId: '8123456789099',
    quantity: 1,
    unitPrice: usd('60.00'),
  },
  // a custom line: no variant, no product, no SKU
  { lineId: '14498765433003', quantity: 1, unitPrice: usd('15.00') },
];

describe('shopify published samples: orders', () => {
  it.each(['orders/create', 'orders/updated', 'orders/paid', 'orders/fulfilled', 'orders/partially_fulfilled'])(
    'the orders test notification under %s keeps every id above 2^53 and maps the voided, cancelled order',
    (topic) => {
      // Prepare + Act
      const { events, from } = run(topic, 'test-order');
      // Assess
      expect(events).toEqual([
        {
          ...from,
          type: 'OrderUpserted',
          occurredAt: '2021-12-31T19:00:00-05:00',
          orderId: '820982911946154508',
          orderNumber: '#9999',
          status: 'cancelled',
          rawStatus: { financial_status: 'voided', cancelled: 'true' },
          createdAt: '2021-12-31T19:00:00-05:00',
          version: { at: '2021-12-31T19:00:00-05:00' },
          // total_price: the sample's current_total_price (369.97) leaves out its 20.00 discount
          total: usd('359.97'),
          shipToCountry: 'US',
          cancelledAt: '2021-12-31T19:00:00-05:00',
          // the sample's customer.id is above 2^53: kept digit for digit (hashed before storage)
          customerRef: 'id:115310627314723954',
          lines: TEST_ORDER_LINES,
        },
      ]);
    },
  );

  it('the orders test notification under orders/cancelled adds the cancellation with its reason', () => {
    // Prepare + Act
    const { events, from } = run('orders/cancelled', 'test-order');
    // Assess
    expect(events.map((e) => e.type)).toEqual(['OrderUpserted', 'OrderCancelled']);
    expect(events[1]).toEqual({
      ...from,
      type: 'OrderCancelled',
      occurredAt: '2021-12-31T19:00:00-05:00',
      orderId: '820982911946154508',
      cancelledAt: '2021-12-31T19:00:00-05:00',
      reason: 'customer',
    });
  });

  it('a body that is not cancelled, re-sent under the orders/cancelled topic, cancels nothing (the signature covers the body, not the topic)', () => {
    // Prepare: the test notification as it was before cancellation
    const body = JSON.parse(payloadText('shopify', 'test-order')) as Record<string, unknown>;
    Object.assign(body, { cancelled_at: null, cancel_reason: null });
    // Act
    const events = adapt(inputFor('shopify', 'orders/cancelled', JSON.stringify(body)));
    // Assess
    expect(events.map((e) => e.type)).toEqual(['OrderUpserted']);
    expect(events[0]).not.toHaveProperty('cancelledAt');
  });

  it('orders/create with presentment money, a discount, tax and shipping: shop-currency prices and total, custom and SKU-less lines', () => {
    // Prepare + Act
    const { events, from } = run('orders/create', 'order-create-presentment');
    // Assess
    expect(events).toEqual([
      {
        ...from,
        type: 'OrderUpserted',
        occurredAt: '2026-03-05T09:30:14-05:00',
        orderId: '5873401299057',
        orderNumber: '#1077',
        status: 'paid',
        rawStatus: { financial_status: 'paid' },
        createdAt: '2026-03-05T09:30:11-05:00',
        version: { at: '2026-03-05T09:30:14-05:00' },
        // current_total_price in the shop currency (USD), not the EUR presentment amount
        total: usd('128.45'),
        shipToCountry: 'DE',
        customerRef: 'id:7012345678901',
        lines: LIVE_LINES,
      },
    ]);
  });

  it('orders/paid maps the captured order at its new version', () => {
    // Prepare + Act
    const { events } = run('orders/paid', 'order-paid');
    // Assess
    expect(events).toEqual([
      expect.objectContaining({
        type: 'OrderUpserted',
        status: 'paid',
        version: { at: '2026-03-05T09:31:02-05:00' },
        total: usd('128.45'),
        lines: LIVE_LINES,
      }),
    ]);
  });

  it('orders/updated of an authorized POS order without customer or address keeps its location above 2^53', () => {
    // Prepare + Act
    const { events, from } = run('orders/updated', 'order-updated-pos');
    // Assess
    expect(events).toEqual([
      {
        ...from,
        type: 'OrderUpserted',
        occurredAt: '2026-03-05T11:02:40-05:00',
        orderId: '5873401300001',
        orderNumber: '#1078',
        status: 'processing',
        rawStatus: { financial_status: 'authorized' },
        createdAt: '2026-03-05T11:02:31-05:00',
        version: { at: '2026-03-05T11:02:40-05:00' },
        total: usd('21.54'),
        locationId: '905684977123456789',
        lines: [
          {
            lineId: '14498765433101',
            sku: 'MUG-BLUE-350',
            externalItemId: 'variant:46012345678901',
            productId: '8123456789012',
            quantity: 1,
            unitPrice: usd('19.90'),
          },
        ],
      },
    ]);
  });

  it('orders/partially_fulfilled: each line carries what its fulfilments shipped; the order is not fulfilled', () => {
    // Prepare + Act
    const { events } = run('orders/partially_fulfilled', 'order-partially-fulfilled');
    // Assess
    const [o] = events;
    expect(events).toHaveLength(1);
    expect(o).toMatchObject({
      type: 'OrderUpserted',
      status: 'partially_fulfilled',
      rawStatus: { financial_status: 'paid', fulfillment_status: 'partial' },
    });
    expect(o).not.toHaveProperty('fulfilledAt');
    expect(o?.type === 'OrderUpserted' && o.lines).toEqual([
      { ...LIVE_LINES[0], shippedQuantity: 1, shippedAt: '2026-03-06T14:20:05-05:00' },
      { ...LIVE_LINES[1], shippedQuantity: 1, shippedAt: '2026-03-06T14:20:05-05:00' },
      LIVE_LINES[2],
    ]);
  });

  it('orders/partially_fulfilled without a fulfilments list: line statuses and fulfillable_quantity say what shipped', () => {
    // Prepare: the ids above 2^53 are all in the fulfilments list, which is removed
    const body = JSON.parse(payloadText('shopify', 'order-partially-fulfilled')) as Record<string, unknown>;
    delete body.fulfillments;
    // Act
    const [o] = adapt(inputFor('shopify', 'orders/partially_fulfilled', JSON.stringify(body)));
    // Assess: the mug line is partial with 1 of 2 still fulfillable, the linen line fulfilled
    expect(o?.type === 'OrderUpserted' && o.lines).toEqual([
      { ...LIVE_LINES[0], shippedQuantity: 1 },
      { ...LIVE_LINES[1], shippedQuantity: 1 },
      LIVE_LINES[2],
    ]);
  });

  it('orders/fulfilled: shipped at the latest fulfilment that was not cancelled; lines ship in full', () => {
    // Prepare + Act
    const { events } = run('orders/fulfilled', 'order-fulfilled-multi');
    // Assess
    expect(events).toEqual([
      expect.objectContaining({
        type: 'OrderUpserted',
        status: 'fulfilled',
        rawStatus: { financial_status: 'paid', fulfillment_status: 'fulfilled' },
        fulfilledAt: '2026-03-08T09:59:58-05:00',
        lines: LIVE_LINES,
      }),
    ]);
  });

  it('orders/edited marks the order for a fetch: the edit carries deltas, not the order', () => {
    // Prepare + Act
    const { events, from } = run('orders/edited', 'order-edited');
    // Assess
    expect(events).toEqual([
      {
        ...from,
        type: 'HydrationPending',
        occurredAt: '2026-03-05T12:40:00-05:00',
        entity: 'order',
        externalId: '5873401299057',
        version: { at: '2026-03-05T12:40:00-05:00' },
        detail: { topic: 'orders/edited', orderEditId: '78912328793123' },
      },
    ]);
  });
});

describe('shopify published samples: refunds and fulfilments', () => {
  it('the refunds/create test notification (created_at and processed_at null) is dated by the delivery, not refused', () => {
    // Prepare + Act
    const { events, from } = run('refunds/create', 'refund-create-test');
    // Assess
    expect(events).toEqual([
      {
        ...from,
        type: 'RefundRecorded',
        occurredAt: TEST_NOW,
        orderId: '820982911946154508',
        refundId: '890088186047892319',
        processedAt: TEST_NOW,
        amount: usd('249.98'),
        lines: [
          { lineId: '487817672276298554', quantity: 1, restock: false, sku: 'SKU2006-001' },
          { lineId: '976318377106520349', quantity: 1, restock: false, sku: 'SKU2006-020' },
        ],
      },
    ]);
  });

  it('refunds/create of a return restocks at its location above 2^53 and counts only the successful transaction', () => {
    // Prepare + Act
    const { events, from } = run('refunds/create', 'refund-create-restock');
    // Assess
    expect(events).toEqual([
      {
        ...from,
        type: 'RefundRecorded',
        occurredAt: '2026-03-12T16:04:55-05:00',
        orderId: '5873401299057',
        refundId: '1023456789012345678',
        processedAt: '2026-03-12T16:04:55-05:00',
        amount: usd('19.38'),
        lines: [
          {
            lineId: '14498765433001',
            quantity: 1,
            restock: true,
            sku: 'MUG-BLUE-350',
            locationId: '905684977123456789',
          },
        ],
      },
    ]);
  });

  it('fulfillments/create records the shipment of its lines on the order', () => {
    // Prepare + Act
    const { events, from } = run('fulfillments/create', 'fulfillment-create');
    // Assess
    expect(events).toEqual([
      {
        ...from,
        type: 'FulfillmentRecorded',
        occurredAt: '2021-12-31T19:00:00-05:00',
        orderId: '820982911946154508',
        fulfillmentId: '123456',
        shipped: true,
        at: '2021-12-31T19:00:00-05:00',
        version: { at: '2021-12-31T19:00:00-05:00' },
        lines: [{ lineId: '487817672276298554', quantity: 1 }],
      },
    ]);
  });

  it('fulfillments/update of a cancelled fulfilment records it as not shipped, at its newer version', () => {
    // Prepare + Act
    const { events } = run('fulfillments/update', 'fulfillment-update-cancelled');
    // Assess
    expect(events).toEqual([
      expect.objectContaining({
        type: 'FulfillmentRecorded',
        fulfillmentId: '123456',
        shipped: false,
        at: '2021-12-31T19:00:00-05:00',
        version: { at: '2022-01-01T09:15:00-05:00' },
        lines: [{ lineId: '487817672276298554', quantity: 1 }],
      }),
    ]);
  });
});

describe('shopify published samples: products and inventory', () => {
  it('products/update maps variants by inventory item and variant id above 2^53; the empty-SKU variant maps nothing', () => {
    // Prepare + Act
    const { events, from } = run('products/update', 'product-update-test');
    // Assess
    const base = { ...from, type: 'ListingMapped' as const, occurredAt: '2021-12-31T19:00:00-05:00' };
    expect(events).toEqual([
      {
        ...base,
        externalId: 'inventory_item:498744621816423941',
        sku: 'example-shirt-s',
        at: '2021-12-30T19:00:00-05:00',
      },
      { ...base, externalId: 'variant:642667041472713922', sku: 'example-shirt-s', at: '2021-12-30T19:00:00-05:00' },
      // no inventory item, and no variant updated_at: the product's time
      { ...base, externalId: 'variant:930110839162417821', sku: 'example-shirt-l', at: '2021-12-31T19:00:00-05:00' },
    ] satisfies CanonicalEvent[]);
  });

  it('inventory_levels/update test notification keeps its inventory item id above 2^53', () => {
    // Prepare + Act
    const { events, from } = run('inventory_levels/update', 'inventory-level-test');
    // Assess
    expect(events).toEqual([
      {
        ...from,
        type: 'StockLevelSet',
        occurredAt: '2021-12-31T19:00:00-05:00',
        inventoryItemId: 'inventory_item:271878346596884015',
        locationId: '24826418',
        quantity: 6,
        bucket: 'available',
        asOf: '2021-12-31T19:00:00-05:00',
      },
    ]);
  });

  it('inventory_levels/update with available null (untracked item) records nothing', () => {
    // Prepare + Act
    const { events } = run('inventory_levels/update', 'inventory-level-untracked');
    // Assess
    expect(events).toEqual([]);
  });
});

describe('shopify published samples through apply: paid, partially fulfilled, fulfilled', () => {
  it('reserves on payment, ships the partial fulfilment and reserves the rest, then ships only the rest; the custom line touches no stock', async () => {
    // Prepare: the SKU-less catalog line is mapped through its variant
    const t = new MemoryTable();
    const clock = fixedClock();
    await applyEvents(
      t,
      [
        {
          channel: 'shopify-main',
          source: 'shopify',
          deliveryId: 'd0',
          occurredAt: '2026-03-01T00:00:00Z',
          type: 'ListingMapped',
          externalId: 'variant:46012345679044',
          sku: 'THROW-LIN-NAT',
          at: '2026-03-01T00:00:00Z',
        },
      ],
      clock,
    );
    const start = t.streamFrom(0).next;
    // the merchant ships this store's online orders (location_id null) from WH-MAIN
    const configs = new Map([
      ['shopify-main', { channel: 'shopify-main', allocation: {}, fulfilmentLocation: 'WH-MAIN' }],
    ]);
    const located = (topic: string, fixture: string) => locateEvents(run(topic, fixture).events, configs);
    // Act
    await applyEvents(t, located('orders/create', 'order-create-presentment'), clock);
    const afterCreate = t.streamFrom(0).next;
    await applyEvents(t, located('orders/partially_fulfilled', 'order-partially-fulfilled'), clock);
    const afterPartial = t.streamFrom(0).next;
    await applyEvents(t, located('orders/fulfilled', 'order-fulfilled-multi'), clock);
    // Assess
    const mug = keys.balance('MUG-BLUE-350', 'WH-MAIN').pk;
    const linen = keys.balance('THROW-LIN-NAT', 'WH-MAIN').pk;
    const created = planStockFold(t.streamFrom(start).changes.slice(0, afterCreate - start));
    expect(created.map((p) => [p.key.pk, p.changes.map((c) => c.reserved)])).toEqual([
      [mug, [2]],
      [linen, [1]],
    ]);
    const partial = planStockFold(t.streamFrom(afterCreate).changes.slice(0, afterPartial - afterCreate));
    expect(
      partial.map((p) => [p.key.pk, p.changes.map((c) => [c.reserved, c.moves.map((m) => [m.delta, m.at])])]),
    ).toEqual([
      [mug, [[-1, [[-1, '2026-03-06T19:20:05.000Z']]]]],
      [linen, [[-1, [[-1, '2026-03-06T19:20:05.000Z']]]]],
    ]);
    const fulfilled = planStockFold(t.streamFrom(afterPartial).changes);
    expect(
      fulfilled.map((p) => [p.key.pk, p.changes.map((c) => [c.reserved, c.moves.map((m) => [m.delta, m.at])])]),
    ).toEqual([[mug, [[-1, [[-1, '2026-03-08T14:59:58.000Z']]]]]]);
  });
});

describe('shopify: every field the docs and samples show as null', () => {
  it('maps an order whose nullable fields are all null', () => {
    // Prepare: the published sample (ids below 2^53, so JSON.parse is exact) with each documented null at once
    const body = payloadText('shopify', 'order-create-presentment');
    const parsed = JSON.parse(body) as Record<string, unknown> & { line_items: Record<string, unknown>[] };
    Object.assign(parsed, {
      customer: null,
      location_id: null,
      cancelled_at: null,
      closed_at: null,
      current_total_price_set: null,
      current_total_price: null,
      name: null,
      shipping_address: null,
      billing_address: null,
      fulfillments: null,
    });
    for (const l of parsed.line_items)
      Object.assign(l, {
        sku: null,
        variant_id: null,
        product_id: null,
        fulfillment_status: null,
        fulfillable_quantity: null,
      });
    // Act
    const events = adapt(inputFor('shopify', 'orders/updated', JSON.stringify(parsed)));
    // Assess
    expect(events).toEqual([
      expect.objectContaining({
        type: 'OrderUpserted',
        orderId: '5873401299057',
        orderNumber: '1077',
        status: 'paid',
        total: usd('128.45'),
        lines: [
          { lineId: '14498765433001', quantity: 2, unitPrice: usd('19.90') },
          { lineId: '14498765433002', quantity: 1, unitPrice: usd('60.00') },
          { lineId: '14498765433003', quantity: 1, unitPrice: usd('15.00') },
        ],
      }),
    ]);
    expect(events[0]).not.toHaveProperty('locationId');
    expect(events[0]).not.toHaveProperty('shipToCountry');
  });
});
