import { describe, expect, it } from 'vitest';
import { shopifyOrderStatus } from '#shared/adapters/shopify.adapter.ts';
import { adapt } from '#shared/adapters/index.ts';
import { inputFor, payload } from '#test/fixtures/payloads.ts';
import { expectFailure, failure, mapped, only } from './support.ts';

const order = () => payload('shopify', 'order-create');

describe('shopify adapter: orders', () => {
  it('maps an orders/create order field by field', () => {
    // Prepare
    const input = inputFor('shopify', 'orders/create', order());
    // Act
    const events = adapt(input);
    // Assess
    expect(events).toEqual([
      {
        type: 'OrderUpserted',
        channel: input.delivery.channel,
        source: 'shopify',
        deliveryId: input.delivery.deliveryId,
        occurredAt: '2026-03-02T10:14:05-05:00',
        orderId: '5873401233521',
        orderNumber: '#1042',
        status: 'paid',
        rawStatus: { financial_status: 'paid' },
        createdAt: '2026-03-02T10:14:03-05:00',
        version: { at: '2026-03-02T10:14:05-05:00' },
        total: { amount: '71.29', currency: 'USD' },
        shipToCountry: 'US',
        customerRef: 'id:7012398745601',
        lines: [
          {
            lineId: '14498765432101',
            sku: 'MUG-BLUE-350',
            externalItemId: 'variant:46012345678901',
            productId: '8901234567890',
            quantity: 2,
            unitPrice: { amount: '19.90', currency: 'USD' },
          },
          {
            lineId: '14498765432102',
            sku: 'TOWEL-LIN-NAT',
            externalItemId: 'variant:46012345678955',
            productId: '8901234567891',
            quantity: 1,
            unitPrice: { amount: '25.00', currency: 'USD' },
          },
        ],
      },
    ]);
  });

  it('falls back to current_total_price, billing country and order_number, and keeps the POS location', () => {
    // Prepare
    const body = order();
    delete body.total_price;
    body.shipping_address = null;
    body.billing_address.country_code = 'CA';
    body.name = '';
    body.location_id = 71234567890;
    // Act
    const o = only(mapped('shopify', 'orders/updated', body), 'OrderUpserted');
    // Assess
    expect(o.total).toEqual({ amount: '71.29', currency: 'USD' });
    expect(o.shipToCountry).toBe('CA');
    expect(o.orderNumber).toBe('1042');
    expect(o.locationId).toBe('71234567890');
  });

  it('omits an empty SKU and the item id of a custom line item', () => {
    // Prepare
    const body = order();
    body.line_items[0].sku = '';
    body.line_items[1].variant_id = null;
    // Act
    const [first, second] = only(mapped('shopify', 'orders/updated', body), 'OrderUpserted').lines;
    // Assess
    expect(first).not.toHaveProperty('sku');
    expect(first?.externalItemId).toBe('variant:46012345678901');
    expect(second).not.toHaveProperty('externalItemId');
    expect(second?.sku).toBe('TOWEL-LIN-NAT');
  });

  it.each([
    ['orders/create'],
    ['orders/updated'],
    ['orders/paid'],
    ['orders/fulfilled'],
    ['orders/partially_fulfilled'],
  ])('%s emits one OrderUpserted and no cancellation', (topic) => {
    const events = mapped('shopify', topic, order());
    expect(events.map((e) => e.type)).toEqual(['OrderUpserted']);
  });

  it.each([
    // financial, fulfillment, cancelled_at, expected
    ['pending', null, null, 'pending_payment'],
    ['partially_paid', null, null, 'pending_payment'],
    ['authorized', null, null, 'processing'],
    ['paid', null, null, 'paid'],
    ['paid', 'partial', null, 'partially_fulfilled'],
    ['paid', 'fulfilled', null, 'fulfilled'],
    ['partially_refunded', null, null, 'partially_refunded'],
    ['partially_refunded', 'fulfilled', null, 'fulfilled'],
    ['refunded', 'fulfilled', null, 'refunded'],
    ['voided', null, null, 'failed'],
    ['expired', null, null, 'failed'],
    ['paid', null, '2026-03-02T12:00:00-05:00', 'cancelled'],
    ['refunded', null, '2026-03-02T12:00:00-05:00', 'cancelled'],
    [null, null, null, 'unknown'],
    ['something_new', null, null, 'unknown'],
  ] as const)(
    'financial %s + fulfillment %s + cancelled_at %s → %s',
    (financial, fulfillment, cancelledAt, expected) => {
      // Prepare
      const body = {
        ...order(),
        financial_status: financial,
        fulfillment_status: fulfillment,
        cancelled_at: cancelledAt,
      };
      // Act
      const o = only(mapped('shopify', 'orders/updated', body), 'OrderUpserted');
      // Assess
      expect(o.status).toBe(expected);
      expect(shopifyOrderStatus(body)).toBe(expected);
    },
  );

  it('dates a fulfilled order by its latest successful fulfillment', () => {
    // Prepare
    const body = payload('shopify', 'order-fulfilled');
    body.fulfillments.push({ id: 1, status: 'cancelled', created_at: '2026-03-05T00:00:00-05:00' });
    // Act
    const o = only(mapped('shopify', 'orders/fulfilled', body), 'OrderUpserted');
    // Assess
    expect(o.status).toBe('fulfilled');
    expect(o.fulfilledAt).toBe('2026-03-04T16:40:10-05:00');
    expect(o.rawStatus).toEqual({ financial_status: 'paid', fulfillment_status: 'fulfilled' });
  });

  it('dates a fulfilled order without fulfillments by updated_at', () => {
    const body = { ...payload('shopify', 'order-fulfilled'), fulfillments: [] };
    const o = only(mapped('shopify', 'orders/fulfilled', body), 'OrderUpserted');
    expect(o.fulfilledAt).toBe(body.updated_at);
  });

  it('orders/cancelled emits the cancelled order and an OrderCancelled with the reason', () => {
    // Act
    const events = mapped('shopify', 'orders/cancelled', payload('shopify', 'order-cancelled'));
    // Assess
    const o = only(events, 'OrderUpserted');
    expect(o.status).toBe('cancelled');
    expect(o.cancelledAt).toBe('2026-03-02T12:01:30-05:00');
    // total_price, not current_total_price (0.00 once cancelled): a cancelled order counts no revenue anyway
    expect(o.total).toEqual({ amount: '71.29', currency: 'USD' });
    const c = only(events, 'OrderCancelled');
    expect(c).toMatchObject({ orderId: '5873401233521', cancelledAt: '2026-03-02T12:01:30-05:00', reason: 'customer' });
    expect(c.occurredAt).toBe(o.occurredAt);
  });

  it('orders/updated with cancelled_at set carries the status but leaves the cancel event to orders/cancelled', () => {
    const events = mapped('shopify', 'orders/updated', payload('shopify', 'order-cancelled'));
    expect(events.map((e) => e.type)).toEqual(['OrderUpserted']);
  });

  it('names the missing or mistyped field in schema errors', () => {
    // Prepare
    const noPrice = order();
    delete noPrice.line_items[1].price;
    const floatPrice = order();
    floatPrice.line_items[0].price = 19.9;
    const noUpdated = order();
    delete noUpdated.updated_at;
    // Act + Assess
    expectFailure(
      failure('shopify', 'orders/create', noPrice),
      'schema',
      /line_items\[1\]\.price: required field is missing/,
    );
    expectFailure(failure('shopify', 'orders/create', floatPrice), 'schema', /line_items\[0\]\.price/);
    expectFailure(failure('shopify', 'orders/create', noUpdated), 'schema', /updated_at/);
    expectFailure(
      failure('shopify', 'orders/create', { ...order(), currency: 'dollars' }),
      'schema',
      /currency: expected an ISO 4217/,
    );
  });
});

describe('shopify adapter: refunds/create', () => {
  it('sums the successful refund transactions and maps the refund lines', () => {
    // Act
    const r = only(mapped('shopify', 'refunds/create', payload('shopify', 'refund-create')), 'RefundRecorded');
    // Assess: 21.49 + 5.00; the failed 21.49 attempt is not money returned
    expect(r).toMatchObject({
      orderId: '5873401233521',
      refundId: '1009876543210',
      amount: { amount: '26.49', currency: 'USD' },
      processedAt: '2026-03-06T08:21:16-05:00',
      occurredAt: '2026-03-06T08:21:17-05:00',
    });
    expect(r.lines).toEqual([
      { lineId: '14498765432101', sku: 'MUG-BLUE-350', quantity: 1, restock: true, locationId: '71234567890' },
      { lineId: '14498765432102', sku: 'TOWEL-LIN-NAT', quantity: 1, restock: false },
    ]);
  });

  it.each([
    // units returned after shipping come back on hand; `cancel` units (not yet fulfilled) never left
    ['return', true, false],
    ['cancel', false, true],
    ['legacy_restock', true, false],
    ['no_restock', false, false],
  ] as const)('restock_type %s → restock %s, cancelled before shipping %s', (restockType, restock, unshipped) => {
    const body = payload('shopify', 'refund-create');
    body.refund_line_items[0].restock_type = restockType;
    const r = only(mapped('shopify', 'refunds/create', body), 'RefundRecorded');
    expect(r.lines[0]?.restock).toBe(restock);
    expect(r.lines[0]?.unshipped ?? false).toBe(unshipped);
  });

  it('records a restock-only refund without an amount and uses created_at when processed_at is missing', () => {
    const body = { ...payload('shopify', 'refund-create'), transactions: [], processed_at: null };
    const r = only(mapped('shopify', 'refunds/create', body), 'RefundRecorded');
    expect(r).not.toHaveProperty('amount');
    expect(r.processedAt).toBe('2026-03-06T08:21:17-05:00');
  });

  it('refuses refunds paid in several currencies instead of adding them up', () => {
    const body = payload('shopify', 'refund-create');
    body.transactions[1].currency = 'CAD';
    expectFailure(failure('shopify', 'refunds/create', body), 'schema', /several currencies/);
  });

  it('names a missing order_id', () => {
    const body = payload('shopify', 'refund-create');
    delete body.order_id;
    expectFailure(failure('shopify', 'refunds/create', body), 'schema', /order_id: required field is missing/);
  });
});

describe('shopify adapter: inventory and products', () => {
  it('maps inventory_levels/update to an available count keyed by inventory item and location', () => {
    const s = only(
      mapped('shopify', 'inventory_levels/update', payload('shopify', 'inventory-level-update')),
      'StockLevelSet',
    );
    expect(s).toMatchObject({
      inventoryItemId: 'inventory_item:48123456789012',
      locationId: '71234567890',
      quantity: 37,
      bucket: 'available',
      asOf: '2026-03-02T10:14:04-05:00',
    });
    expect(s).not.toHaveProperty('sku');
  });

  it('records nothing for an untracked item (available null) and accepts negative counts', () => {
    const level = payload('shopify', 'inventory-level-update');
    expect(mapped('shopify', 'inventory_levels/update', { ...level, available: null })).toEqual([]);
    expect(
      only(mapped('shopify', 'inventory_levels/update', { ...level, available: -3 }), 'StockLevelSet').quantity,
    ).toBe(-3);
  });

  it('maps each variant with a SKU by inventory item and by variant id; SKU-less variants are skipped', () => {
    // Act
    const events = mapped('shopify', 'products/update', payload('shopify', 'product-update'));
    // Assess
    expect(events.map((e) => e.type === 'ListingMapped' && [e.externalId, e.sku, e.at])).toEqual([
      ['inventory_item:48123456789012', 'MUG-BLUE-350', '2026-03-01T09:00:11-05:00'],
      ['variant:46012345678901', 'MUG-BLUE-350', '2026-03-01T09:00:11-05:00'],
      ['inventory_item:48123456789013', 'MUG-RED-350', '2026-02-11T12:30:00-05:00'],
      ['variant:46012345678902', 'MUG-RED-350', '2026-02-11T12:30:00-05:00'],
    ]);
  });

  it('joins: the inventory level id equals the listing id products/update maps', () => {
    const level = only(
      mapped('shopify', 'inventory_levels/update', payload('shopify', 'inventory-level-update')),
      'StockLevelSet',
    );
    const listings = mapped('shopify', 'products/update', payload('shopify', 'product-update'));
    expect(listings.some((e) => e.type === 'ListingMapped' && e.externalId === level.inventoryItemId)).toBe(true);
  });
});

describe('shopify adapter: refusals', () => {
  it.each(['inventory_items/update', 'selling_plan_groups/create'])(
    '%s → unknown-event (quarantined: it may carry something to apply)',
    (topic) => {
      expectFailure(failure('shopify', topic, order()), 'unknown-event', new RegExp(topic));
    },
  );

  it.each([
    'customers/create',
    'customers/update',
    'app/uninstalled',
    'checkouts/create',
    'draft_orders/delete',
    'orders/delete',
    'fulfillment_events/create',
  ])('%s → ignored, naming the topic', (topic) => {
    // Prepare
    const body = order();
    // Act
    const error = failure('shopify', topic, body);
    // Assess
    expectFailure(error, 'ignored', new RegExp(`${topic} is ignored`));
    expect(error.topic).toBe(topic);
  });

  it('a delivery without a topic header → unknown-event', () => {
    const input = inputFor('shopify', 'orders/create', order());
    delete input.delivery.headers['x-shopify-topic'];
    expect(() => adapt(input)).toThrow(expect.objectContaining({ kind: 'unknown-event' }));
  });

  it('reads the prefix-less topic header of Events webhooks', () => {
    const input = inputFor('shopify', 'ignored', order(), {
      headers: { 'x-shopify-topic': '', 'shopify-topic': 'orders/create' },
    });
    expect(adapt(input).map((e) => e.type)).toEqual(['OrderUpserted']);
  });

  it('a body that is not JSON → malformed', () => {
    expectFailure(failure('shopify', 'orders/create', '{"id": 1,'), 'malformed', /not valid JSON/);
  });

  it('a JSON body that is not an order → schema', () => {
    expectFailure(failure('shopify', 'orders/create', '[1,2]'), 'schema');
    expectFailure(failure('shopify', 'orders/create', 'null'), 'schema');
  });
});
