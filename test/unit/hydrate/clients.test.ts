import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bigcommerceClient } from '#shared/hydrate/bigcommerce-client.ts';
import { RateLimitedError, SenderUnavailableError, UnauthorizedError } from '#shared/hydrate/errors.ts';
import { SQUARE_VERSION, squareClient } from '#shared/hydrate/square-client.ts';
import { fixedMsClock, TEST_NOW } from '../../support/clock.ts';
import {
  bigcommerceOrder,
  fakeBigCommerce,
  fakeSquare,
  squareOrder,
  type FakeBigCommerce,
  type FakeSquare,
} from '../../support/fake-senders.ts';

const now = fixedMsClock();
const req = {
  channel: 'square-main',
  source: 'square',
  orderId: 'CAISENgvlJ6jLWAzERDzjyHVybY',
  deliveryId: 'hydrate-d1',
};

describe('square client against a fake Square', () => {
  let api: FakeSquare;
  beforeAll(async () => {
    api = await fakeSquare({ token: 'sq-token' });
  });
  afterAll(() => api.close());
  beforeEach(() => {
    api.orders.clear();
    api.requests.length = 0;
  });
  const client = (token = 'sq-token') =>
    squareClient({ fetch, credentials: { accessToken: token, baseUrl: api.url }, now });

  it('retrieves the order with BatchRetrieveOrders and maps it to an upsert with catalog ids as listing ids', async () => {
    // Prepare
    api.orders.set(req.orderId, squareOrder());

    // Act
    const out = await client().fetchOrder({ ...req, locationId: 'L88917AVBK2S5' });

    // Assess
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/v2/orders/batch-retrieve' });
    expect(api.requests[0]!.headers['square-version']).toBe(SQUARE_VERSION);
    expect(JSON.parse(api.requests[0]!.body)).toEqual({ order_ids: [req.orderId], location_id: 'L88917AVBK2S5' });
    expect(out).toEqual({
      kind: 'order',
      events: [
        expect.objectContaining({
          type: 'OrderUpserted',
          orderId: req.orderId,
          status: 'processing',
          version: { at: '2026-09-15T11:05:00.000Z', seq: 2 },
          locationId: 'L88917AVBK2S5',
          total: { amount: '25.00', currency: 'USD' },
          lines: [
            {
              lineId: 'line-1',
              externalItemId: 'W62UWFY35CWMYGVWK6TWJDNI',
              quantity: 2,
              unitPrice: { amount: '12.50', currency: 'USD' },
            },
          ],
        }),
      ],
    });
  });

  it("uses a line's own sku when Square sends one", async () => {
    // Prepare
    api.orders.set(
      req.orderId,
      squareOrder({ line_items: [{ uid: 'l', sku: 'MUG-WHT', catalog_object_id: 'X', quantity: '1' }] }),
    );

    // Act
    const out = await client().fetchOrder(req);

    // Assess
    expect(out.kind === 'order' && out.events[0]!.type === 'OrderUpserted' && out.events[0]!.lines).toEqual([
      { lineId: 'l', sku: 'MUG-WHT', quantity: 1 },
    ]);
  });

  it('turns a CANCELED order into an upsert and a cancellation', async () => {
    // Prepare
    api.orders.set(req.orderId, squareOrder({ state: 'CANCELED', version: 5, closed_at: '2026-09-15T11:30:00.000Z' }));

    // Act
    const out = await client().fetchOrder(req);

    // Assess
    expect(out.kind === 'order' && out.events.map((e) => e.type)).toEqual(['OrderUpserted', 'OrderCancelled']);
    expect(out.kind === 'order' && out.events[1]).toMatchObject({ cancelledAt: '2026-09-15T11:30:00.000Z' });
  });

  it('answers not-found when Square leaves the id out', async () => {
    // Act
    const out = await client().fetchOrder(req);

    // Assess
    expect(out).toEqual({ kind: 'not-found' });
  });

  it('throws RateLimitedError with the Retry-After seconds on 429', async () => {
    // Prepare
    api.failNext({
      status: 429,
      headers: { 'retry-after': '17' },
      body: { errors: [{ category: 'RATE_LIMIT_ERROR', code: 'RATE_LIMITED' }] },
    });

    // Act
    const err = await client()
      .fetchOrder(req)
      .catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterSeconds).toBe(17);
  });

  it('reads a Retry-After given as an HTTP date against the clock', async () => {
    // Prepare
    const at = new Date(Date.parse(TEST_NOW) + 90_000).toUTCString();
    api.failNext({ status: 429, headers: { 'retry-after': at } });

    // Act
    const err = await client()
      .fetchOrder(req)
      .catch((e: unknown) => e);

    // Assess
    expect((err as RateLimitedError).retryAfterSeconds).toBe(90);
  });

  it('throws UnauthorizedError on a refused token', async () => {
    // Act
    const err = await client('wrong')
      .fetchOrder(req)
      .catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as Error).message).toContain('connections credentials');
  });

  it('throws SenderUnavailableError on 5xx and on a server that is gone', async () => {
    // Prepare
    api.failNext({ status: 503 });

    // Act
    const err = await client()
      .fetchOrder(req)
      .catch((e: unknown) => e);
    const gone = await squareClient({ fetch, credentials: { accessToken: 't', baseUrl: 'http://127.0.0.1:1' }, now })
      .fetchOrder(req)
      .catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(SenderUnavailableError);
    expect((err as SenderUnavailableError).status).toBe(503);
    expect(gone).toBeInstanceOf(SenderUnavailableError);
  });
});

describe('bigcommerce client against a fake BigCommerce', () => {
  let api: FakeBigCommerce;
  const bcReq = { channel: 'bc-main', source: 'bigcommerce', orderId: '118', deliveryId: 'hydrate-d2' };
  beforeAll(async () => {
    api = await fakeBigCommerce({ token: 'bc-token', storeHash: 'abc123' });
  });
  afterAll(() => api.close());
  beforeEach(() => {
    api.orders.clear();
    api.requests.length = 0;
  });
  const client = (token = 'bc-token') =>
    bigcommerceClient({ fetch, credentials: { accessToken: token, baseUrl: api.url, storeHash: 'abc123' }, now });

  it('reads the order and its products and maps status, date_modified and SKUs', async () => {
    // Prepare
    api.orders.set('118', bigcommerceOrder());

    // Act
    const out = await client().fetchOrder(bcReq);

    // Assess
    expect(api.requests.map((r) => r.path)).toEqual([
      '/stores/abc123/v2/orders/118',
      '/stores/abc123/v2/orders/118/products',
    ]);
    expect(api.requests[0]!.headers['x-auth-token']).toBe('bc-token');
    expect(out).toEqual({
      kind: 'order',
      events: [
        expect.objectContaining({
          type: 'OrderUpserted',
          orderId: '118',
          status: 'paid',
          rawStatus: { status_id: '11', status: 'Awaiting Fulfillment' },
          createdAt: '2026-09-15T11:00:00.000Z',
          version: { at: '2026-09-15T11:05:00.000Z' },
          total: { amount: '49.9800', currency: 'USD' },
          lines: [{ lineId: '9', sku: 'TEE-BLK-M', quantity: 2, unitPrice: { amount: '24.9900', currency: 'USD' } }],
        }),
      ],
    });
  });

  it('names a product without a SKU by its variant, as the inventory webhooks do', async () => {
    // Prepare
    api.orders.set('118', bigcommerceOrder({}, [{ id: 9, product_id: 77, variant_id: 501, sku: '', quantity: 1 }]));

    // Act
    const out = await client().fetchOrder(bcReq);

    // Assess
    expect(out.kind === 'order' && out.events[0]!.type === 'OrderUpserted' && out.events[0]!.lines[0]).toEqual({
      lineId: '9',
      externalItemId: 'variant:501',
      quantity: 1,
    });
  });

  it('turns status 5 into an upsert and a cancellation', async () => {
    // Prepare
    api.orders.set(
      '118',
      bigcommerceOrder({ status_id: 5, status: 'Cancelled', date_modified: 'Tue, 15 Sep 2026 11:40:00 +0000' }),
    );

    // Act
    const out = await client().fetchOrder(bcReq);

    // Assess
    expect(out.kind === 'order' && out.events.map((e) => e.type)).toEqual(['OrderUpserted', 'OrderCancelled']);
    expect(out.kind === 'order' && out.events[1]).toMatchObject({ cancelledAt: '2026-09-15T11:40:00.000Z' });
  });

  it('answers not-found on 404', async () => {
    // Act
    const out = await client().fetchOrder(bcReq);

    // Assess
    expect(out).toEqual({ kind: 'not-found' });
  });

  it('waits X-Rate-Limit-Time-Reset-Ms on a 429 without Retry-After', async () => {
    // Prepare
    api.orders.set('118', bigcommerceOrder());
    api.failNext({ status: 429, headers: { 'x-rate-limit-requests-left': '0', 'x-rate-limit-time-reset-ms': '4500' } });

    // Act
    const err = await client()
      .fetchOrder(bcReq)
      .catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterSeconds).toBe(5);
  });

  it('prefers Retry-After when the 429 has both', async () => {
    // Prepare
    api.orders.set('118', bigcommerceOrder());
    api.failNext({ status: 429, headers: { 'retry-after': '30', 'x-rate-limit-time-reset-ms': '4500' } });

    // Act
    const err = await client()
      .fetchOrder(bcReq)
      .catch((e: unknown) => e);

    // Assess
    expect((err as RateLimitedError).retryAfterSeconds).toBe(30);
  });

  it('throws UnauthorizedError on a refused token and SenderUnavailableError on 5xx', async () => {
    // Prepare
    api.orders.set('118', bigcommerceOrder());
    const unauthorized = await client('nope')
      .fetchOrder(bcReq)
      .catch((e: unknown) => e);
    api.failNext({ status: 500 });

    // Act
    const failed = await client()
      .fetchOrder(bcReq)
      .catch((e: unknown) => e);

    // Assess
    expect(unauthorized).toBeInstanceOf(UnauthorizedError);
    expect(failed).toBeInstanceOf(SenderUnavailableError);
  });
});
