import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adapt } from '#shared/adapters/index.ts';
import { ebayClient } from '#shared/hydrate/ebay-client.ts';
import { RateLimitedError, SenderUnavailableError, UnauthorizedError } from '#shared/hydrate/errors.ts';
import { hydrateMessage, type HydrateDeps, type HydrationMessage } from '#shared/hydrate/hydrate.ts';
import { type ApiCredentials, memoryTokenCache, type OrderRequest, type TokenCache } from '#shared/hydrate/types.ts';
import { keys } from '#shared/table/keys.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { normalizeMessage, type NormalizeDeps } from '#shared/normalize/normalize.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { foldMemory } from '../../../bench/memory-fold.ts';
import { deliveryFor, payload } from '#test/fixtures/payloads.ts';
import { fixedClock, TEST_NOW } from '../../support/clock.ts';
import { ebayOrder, fakeEbay, type FakeEbay } from '../../support/fake-senders.ts';

const ORDER_ID = '12-11223-44556';
const CLIENT = { clientId: 'ClayCo-hub-PRD-1a2b3c4d5-6e7f8a9b', clientSecret: 'PRD-1a2b3c4d5e6f-7a8b-9c0d' };
const REFRESH = 'v^1.1#i^1#r^1#p^3#f^0#t^Ul4xMF8y';
const req: OrderRequest = { channel: 'ebay-main', source: 'ebay', orderId: ORDER_ID, deliveryId: 'hydrate_dlv-1' };

describe('the eBay getOrder client, against a fake eBay API', () => {
  let api: FakeEbay;
  let nowMs: number;
  let tokens: TokenCache;
  beforeAll(async () => {
    api = await fakeEbay({ ...CLIENT, refreshToken: REFRESH, tokenLifetimeSeconds: 7200 });
  });
  afterAll(() => api.close());
  beforeEach(() => {
    api.orders.clear();
    api.requests.length = 0;
    api.grants.length = 0;
    api.expireTokens();
    nowMs = Date.parse(TEST_NOW);
    tokens = memoryTokenCache();
    api.orders.set(ORDER_ID, ebayOrder());
  });
  const client = (over: Partial<ApiCredentials> = {}) =>
    ebayClient({
      fetch,
      credentials: { ...CLIENT, refreshToken: REFRESH, baseUrl: api.url, ...over },
      now: () => nowMs,
      tokens,
    });

  it('mints a user token with the refresh-token grant and maps the order to canonical events', async () => {
    // Act
    const result = await client().fetchOrder(req);

    // Assess
    const [token, get] = api.requests;
    expect(token).toMatchObject({ method: 'POST', path: '/identity/v1/oauth2/token' });
    expect(token!.headers.authorization).toBe(
      `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`,
    );
    expect(Object.fromEntries(new URLSearchParams(token!.body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: REFRESH,
      scope: 'https://api.ebay.com/oauth/api_scope/sell.fulfillment.readonly',
    });
    expect(get).toMatchObject({ method: 'GET', path: `/sell/fulfillment/v1/order/${ORDER_ID}` });
    expect(get!.headers.authorization).toBe('Bearer v^1.1#i^1#fake-1');
    expect(result).toEqual({
      kind: 'order',
      events: [
        {
          channel: 'ebay-main',
          source: 'ebay',
          deliveryId: 'hydrate_dlv-1',
          occurredAt: '2026-03-02T17:46:03.000Z',
          type: 'OrderUpserted',
          orderId: ORDER_ID,
          orderNumber: '1042',
          status: 'paid',
          rawStatus: {
            orderFulfillmentStatus: 'NOT_STARTED',
            orderPaymentStatus: 'PAID',
            cancelState: 'NONE_REQUESTED',
          },
          createdAt: '2026-03-02T17:44:12.000Z',
          version: { at: '2026-03-02T17:46:03.000Z' },
          // buyer.username, hashed by the hydrate function before anything is stored
          customerRef: 'id:j******n',
          total: { amount: '37.50', currency: 'USD' },
          lines: [
            { lineId: '10064332887921', quantity: 2, sku: 'MUG-WHT' },
            {
              lineId: '10064332887922',
              quantity: 1,
              externalItemId: '225812344222',
              unitPrice: { amount: '12.50', currency: 'USD' },
            },
          ],
        },
      ],
    });
  });

  it('uses the client-credentials grant when the connection holds no refresh token', async () => {
    // Act
    await client({ refreshToken: undefined }).fetchOrder(req);

    // Assess
    expect(api.grants).toEqual(['client_credentials']);
    expect(new URLSearchParams(api.requests[0]!.body).get('scope')).toBe('https://api.ebay.com/oauth/api_scope');
  });

  it('keeps the token until shortly before it expires, then mints a new one', async () => {
    // Act
    await client().fetchOrder(req);
    nowMs += 7000 * 1000;
    await client().fetchOrder(req);
    nowMs += 141 * 1000; // 7141 s: inside the last minute of the 7200 s token
    await client().fetchOrder(req);

    // Assess
    expect(api.grants).toEqual(['refresh_token', 'refresh_token']);
    expect(api.requests.filter((r) => r.method === 'GET')).toHaveLength(3);
  });

  it('refreshes once when eBay refuses an expired token, and then fetches', async () => {
    // Prepare
    await client().fetchOrder(req);
    api.expireTokens();

    // Act
    const result = await client().fetchOrder(req);

    // Assess
    expect(result.kind).toBe('order');
    expect(api.grants).toHaveLength(2);
    expect(api.requests.map((r) => r.method)).toEqual(['POST', 'GET', 'GET', 'POST', 'GET']);
  });

  it('gives up after one refresh when the new token is refused too', async () => {
    // Prepare
    await client().fetchOrder(req);
    api.failNext({ status: 401 }, { status: 200, body: { access_token: 'new', expires_in: 7200 } }, { status: 401 });

    // Act
    const err = await client()
      .fetchOrder(req)
      .catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(api.requests).toHaveLength(2 + 3);
  });

  it('reports a revoked refresh token as refused credentials', async () => {
    // Act
    const err = await client({ refreshToken: 'revoked' })
      .fetchOrder(req)
      .catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as Error).message).toContain('invalid_grant');
  });

  it("waits as long as eBay's Retry-After asks on a 429", async () => {
    // Prepare
    await client().fetchOrder(req);
    api.failNext({ status: 429, headers: { 'retry-after': '30' }, body: { errors: [{ errorId: 2001 }] } });

    // Act
    const err = await client()
      .fetchOrder(req)
      .catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterSeconds).toBe(30);
  });

  it('answers not-found for an order eBay does not know, and retries a 5xx', async () => {
    // Act
    const missing = await client().fetchOrder({ ...req, orderId: '99-99999-99999' });
    api.failNext({ status: 503 });
    const err = await client()
      .fetchOrder(req)
      .catch((e: unknown) => e);

    // Assess
    expect(missing).toEqual({ kind: 'not-found' });
    expect(err).toBeInstanceOf(SenderUnavailableError);
  });

  it('makes a cancelled order an OrderCancelled too, and a shipped line shipped', async () => {
    // Prepare
    const base = ebayOrder();
    const lines = base.lineItems as Record<string, unknown>[];
    api.orders.set(
      ORDER_ID,
      ebayOrder({
        cancelStatus: {
          cancelState: 'CANCELED',
          cancelRequests: [{ cancelCompletedDate: '2026-03-02T18:00:00.000Z', cancelRequestState: 'COMPLETED' }],
        },
      }),
    );
    api.orders.set(
      '12-11223-44557',
      ebayOrder({
        orderId: '12-11223-44557',
        orderFulfillmentStatus: 'IN_PROGRESS',
        lineItems: [{ ...lines[0], lineItemFulfillmentStatus: 'FULFILLED' }, lines[1]],
      }),
    );

    // Act
    const cancelled = await client().fetchOrder(req);
    const partial = await client().fetchOrder({ ...req, orderId: '12-11223-44557' });

    // Assess
    expect(cancelled.kind === 'order' && cancelled.events.map((e) => e.type)).toEqual([
      'OrderUpserted',
      'OrderCancelled',
    ]);
    expect(cancelled.kind === 'order' && cancelled.events[1]).toMatchObject({
      cancelledAt: '2026-03-02T18:00:00.000Z',
    });
    expect(partial.kind === 'order' && partial.events[0]).toMatchObject({
      status: 'partially_fulfilled',
      lines: [{ sku: 'MUG-WHT', quantity: 2, shippedQuantity: 2 }, { externalItemId: '225812344222' }],
    });
  });
});

describe('hydration of an eBay order, on the memory table', () => {
  const now = fixedClock();
  let api: FakeEbay;
  let table: MemoryTable;
  let queued: HydrationMessage[];
  beforeAll(async () => {
    api = await fakeEbay({ ...CLIENT, refreshToken: REFRESH });
  });
  afterAll(() => api.close());
  beforeEach(async () => {
    api.orders.clear();
    api.requests.length = 0;
    table = new MemoryTable();
    queued = [];
    // the line without a SKU is known by its listing id, mapped like any other channel's
    await applyEvent(
      table,
      {
        channel: 'ebay-main',
        source: 'hub',
        deliveryId: 'map',
        occurredAt: TEST_NOW,
        type: 'ListingMapped',
        externalId: '225812344222',
        sku: 'SAUCER-WHT',
        at: TEST_NOW,
      },
      now,
    );
  });
  const queue = { send: async (m: HydrationMessage) => void queued.push(m) };
  const channels = { list: async () => [] };
  const tokens = memoryTokenCache();
  const normalizeDeps = (): NormalizeDeps => ({
    table,
    adapt,
    loadBody: async (d) => Buffer.from(d.body.kind === 'inline' ? d.body.data : '', 'utf8'),
    channels,
    now,
    hydration: queue,
  });
  const hydrateDeps = (): HydrateDeps => ({
    table,
    queue,
    channels,
    now,
    clientFor: async () =>
      ebayClient({
        fetch,
        credentials: { ...CLIENT, refreshToken: REFRESH, baseUrl: api.url },
        now: () => now().getTime(),
        tokens,
      }),
  });
  /** eBay's ORDER_CONFIRMATION, one per line item of the order */
  function notification(lineItemId: string, id: string): string {
    const body = payload('ebay', 'order-confirmation') as Record<string, any>;
    body.notification.notificationId = `${id}_1`;
    body.notification.data.lineItemId = lineItemId;
    return JSON.stringify(deliveryFor('ebay', 'ORDER_CONFIRMATION', body, { deliveryId: id, receivedAt: TEST_NOW }));
  }

  it('fetches an order once for its per-line notifications, and reserves its lines after the fold', async () => {
    // Prepare
    api.orders.set(ORDER_ID, ebayOrder());

    // Act
    await normalizeMessage(notification('10064332887921', 'dlv-a'), normalizeDeps());
    await normalizeMessage(notification('10064332887922', 'dlv-b'), normalizeDeps());
    await normalizeMessage(notification('10064332887921', 'dlv-c'), normalizeDeps());
    const outcomes = [];
    while (queued.length > 0) outcomes.push(await hydrateMessage(JSON.stringify(queued.shift()), hydrateDeps()));
    await foldMemory(table, { nowMs: now().getTime() });

    // Assess
    expect(outcomes).toEqual([{ status: 'hydrated', orderId: ORDER_ID, applied: 1, requeued: false }]);
    expect(api.requests.filter((r) => r.method === 'GET')).toHaveLength(1);
    const stored = await table.get(keys.order('ebay-main', ORDER_ID));
    expect(stored).toMatchObject({
      state: {
        status: 'paid',
        lines: [
          { sku: 'MUG-WHT', qty: 2 },
          { sku: 'SAUCER-WHT', qty: 1 },
        ],
      },
    });
    expect(await table.get(keys.balance('MUG-WHT', '*'))).toMatchObject({ reserved: 2 });
    expect(await table.get(keys.balance('SAUCER-WHT', '*'))).toMatchObject({ reserved: 1 });
    expect(await table.get(keys.hydration('ebay-main', 'order', ORDER_ID))).toMatchObject({ outcome: 'fetched' });
  });
});
