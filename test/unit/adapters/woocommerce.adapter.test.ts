import { describe, expect, it } from 'vitest';
import { wooOrderStatus } from '#shared/adapters/woocommerce.adapter.ts';
import { adapt } from '#shared/adapters/index.ts';
import { inputFor, payload } from '#test/fixtures/payloads.ts';
import { expectFailure, failure, mapped, only } from './support.ts';

const order = () => payload('woocommerce', 'order-processing');
const product = () => payload('woocommerce', 'product-updated');

describe('woocommerce adapter: orders', () => {
  it('maps a processing order field by field, reading *_gmt times as UTC', () => {
    // Prepare
    const input = inputFor('woocommerce', 'order.created', order());
    // Act
    const events = adapt(input);
    // Assess
    expect(events).toEqual([
      {
        type: 'OrderUpserted',
        channel: input.delivery.channel,
        source: 'woocommerce',
        deliveryId: input.delivery.deliveryId,
        occurredAt: '2026-03-02T10:05:40Z',
        orderId: '7311',
        orderNumber: '7311',
        status: 'processing',
        rawStatus: { status: 'processing' },
        createdAt: '2026-03-02T10:05:09Z',
        version: { at: '2026-03-02T10:05:40Z' },
        total: { amount: '45.70', currency: 'EUR' },
        shipToCountry: 'DE',
        customerRef: 'id:118',
        lines: [
          // a variation is listed by its variation id
          {
            lineId: '905',
            sku: 'MUG-BLUE-350',
            externalItemId: 'variation:515',
            // its parent product: the variations of one product share it (upsell rate)
            productId: '512',
            quantity: 2,
            unitPrice: { amount: '13.36', currency: 'EUR' },
          },
          {
            lineId: '906',
            sku: 'TOWEL-LIN-NAT',
            externalItemId: 'product:530',
            productId: '530',
            quantity: 1,
            unitPrice: { amount: '7.56', currency: 'EUR' },
          },
        ],
      },
    ]);
  });

  it('keeps the digits of a JSON-number price and accepts a string price', () => {
    const body = order();
    body.line_items[0].price = 18;
    body.line_items[1].price = '7.50';
    const [a, b] = only(mapped('woocommerce', 'order.updated', body), 'OrderUpserted').lines;
    expect(a?.unitPrice).toEqual({ amount: '18', currency: 'EUR' });
    expect(b?.unitPrice).toEqual({ amount: '7.50', currency: 'EUR' });
  });

  it('falls back to the billing country; omits empty SKUs and deleted products', () => {
    const body = order();
    body.shipping.country = '';
    body.billing.country = 'AT';
    body.line_items[1].sku = '';
    body.line_items[1].product_id = 0;
    const o = only(mapped('woocommerce', 'order.updated', body), 'OrderUpserted');
    expect(o.shipToCountry).toBe('AT');
    expect(o.lines[1]).toEqual({ lineId: '906', quantity: 1, unitPrice: { amount: '7.56', currency: 'EUR' } });
  });

  it('accepts *_gmt times that already carry a zone', () => {
    const o = only(
      mapped('woocommerce', 'order.updated', { ...order(), date_modified_gmt: '2026-03-02T10:05:40+00:00' }),
      'OrderUpserted',
    );
    expect(o.version.at).toBe('2026-03-02T10:05:40+00:00');
  });

  it.each([
    ['pending', 'pending_payment'],
    ['processing', 'processing'],
    ['on-hold', 'on_hold'],
    ['completed', 'fulfilled'],
    ['cancelled', 'cancelled'],
    ['refunded', 'refunded'],
    ['failed', 'failed'],
    ['trash', 'cancelled'],
    ['checkout-draft', 'unknown'],
    ['shipped-by-plugin', 'unknown'],
  ])('status %s → %s', (status, expected) => {
    const o = only(mapped('woocommerce', 'order.updated', { ...order(), status }), 'OrderUpserted');
    expect(o.status).toBe(expected);
    expect(o.rawStatus).toEqual({ status });
    expect(wooOrderStatus(status)).toBe(expected);
  });

  it('dates a completed order by date_completed_gmt, else by date_modified_gmt', () => {
    const completed = only(
      mapped('woocommerce', 'order.updated', payload('woocommerce', 'order-completed-refunded')),
      'OrderUpserted',
    );
    expect(completed.fulfilledAt).toBe('2026-03-04T08:00:00Z');
    const noDate = { ...payload('woocommerce', 'order-completed-refunded'), date_completed_gmt: null };
    expect(only(mapped('woocommerce', 'order.updated', noDate), 'OrderUpserted').fulfilledAt).toBe(
      '2026-03-05T14:30:02Z',
    );
    expect(only(mapped('woocommerce', 'order.updated', order()), 'OrderUpserted')).not.toHaveProperty('fulfilledAt');
  });

  it.each(['cancelled', 'trash'])('status %s also emits OrderCancelled at the modification time', (status) => {
    // Act
    const events = mapped('woocommerce', 'order.updated', { ...order(), status });
    // Assess
    expect(only(events, 'OrderUpserted').cancelledAt).toBe('2026-03-02T10:05:40Z');
    const c = only(events, 'OrderCancelled');
    expect(c).toMatchObject({ orderId: '7311', cancelledAt: '2026-03-02T10:05:40Z' });
    expect(c.reason).toBe(status === 'trash' ? 'trash' : undefined);
  });

  it('emits one RefundRecorded per refund, with the absolute amount in the order currency', () => {
    // Act
    const refunds = mapped('woocommerce', 'order.updated', payload('woocommerce', 'order-completed-refunded')).filter(
      (e) => e.type === 'RefundRecorded',
    );
    // Assess
    expect(refunds).toEqual([
      expect.objectContaining({
        orderId: '7311',
        refundId: '7402',
        amount: { amount: '13.36', currency: 'EUR' },
        processedAt: '2026-03-05T14:30:02Z',
        lines: [],
      }),
      expect.objectContaining({
        orderId: '7311',
        refundId: '7398',
        amount: { amount: '4.90', currency: 'EUR' },
        lines: [],
      }),
    ]);
  });

  it('names missing and mistyped fields', () => {
    const noModified = order();
    delete noModified.date_modified_gmt;
    const badTotal = { ...order(), total: 'forty' };
    const badQty = order();
    badQty.line_items[0].quantity = '2';
    expectFailure(
      failure('woocommerce', 'order.updated', noModified),
      'schema',
      /date_modified_gmt: required field is missing/,
    );
    expectFailure(failure('woocommerce', 'order.updated', badTotal), 'schema', /total: expected a decimal string/);
    expectFailure(failure('woocommerce', 'order.updated', badQty), 'schema', /line_items\[0\]\.quantity/);
    expectFailure(
      failure('woocommerce', 'order.updated', { ...order(), date_created_gmt: 'yesterday' }),
      'schema',
      /date_created_gmt/,
    );
  });
});

describe('woocommerce adapter: products', () => {
  it('maps a stock-managed product to an on-hand count at the single location and its listing', () => {
    const events = mapped('woocommerce', 'product.updated', product());
    expect(events).toEqual([
      expect.objectContaining({
        type: 'StockLevelSet',
        sku: 'TOWEL-LIN-NAT',
        locationId: 'default',
        quantity: 41,
        bucket: 'on_hand',
        asOf: '2026-03-02T10:05:41Z',
        occurredAt: '2026-03-02T10:05:41Z',
      }),
      expect.objectContaining({
        type: 'ListingMapped',
        externalId: 'product:530',
        sku: 'TOWEL-LIN-NAT',
        at: '2026-03-02T10:05:41Z',
      }),
    ]);
  });

  it.each([
    ['stock not managed', { manage_stock: false, stock_quantity: null }],
    ['stock managed by the parent product', { manage_stock: 'parent', stock_quantity: 12 }],
    ['no quantity', { manage_stock: true, stock_quantity: null }],
  ])('%s → only the listing', (_, patch) => {
    const events = mapped('woocommerce', 'product.created', { ...product(), ...patch });
    expect(events.map((e) => e.type)).toEqual(['ListingMapped']);
  });

  it('a product without a SKU maps to nothing', () => {
    expect(mapped('woocommerce', 'product.updated', { ...product(), sku: '' })).toEqual([]);
  });

  it('refuses a fractional stock quantity', () => {
    expectFailure(
      failure('woocommerce', 'product.updated', { ...product(), stock_quantity: 4.5 }),
      'schema',
      /stock_quantity/,
    );
  });
});

describe('woocommerce adapter: refusals', () => {
  it.each(['order.deleted', 'order.restored', 'product.deleted'])('%s → unknown-event', (topic) => {
    expectFailure(failure('woocommerce', topic, order()), 'unknown-event', new RegExp(topic.replace('.', '\\.')));
  });

  it.each(['coupon.created', 'customer.updated', 'action.woocommerce_add_to_cart'])(
    '%s → ignored, naming the topic',
    (topic) => {
      // Prepare
      const body = order();
      // Act
      const error = failure('woocommerce', topic, body);
      // Assess
      expectFailure(error, 'ignored');
      expect(error.topic).toBe(topic);
    },
  );

  it('derives the topic from resource and event headers when the topic header is missing', () => {
    const input = inputFor('woocommerce', 'order.updated', order());
    delete input.delivery.headers['x-wc-webhook-topic'];
    expect(adapt(input).map((e) => e.type)).toEqual(['OrderUpserted']);
    delete input.delivery.headers['x-wc-webhook-event'];
    expect(() => adapt(input)).toThrow(expect.objectContaining({ kind: 'unknown-event' }));
  });

  it('the activation ping (form body) → malformed when it reaches the adapter', () => {
    expectFailure(failure('woocommerce', 'order.updated', 'webhook_id=12'), 'malformed');
  });
});
