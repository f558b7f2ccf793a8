import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigcommerceInventoryClient } from '#shared/outbound/connectors/bigcommerce.ts';
import { ChannelRateLimited, ChannelRefused } from '#shared/outbound/connectors/errors.ts';
import { squareInventoryClient } from '#shared/outbound/connectors/square.ts';
import type { ListedQuantity } from '#shared/outbound/connectors/types.ts';
import { woocommerceInventoryClient } from '#shared/outbound/connectors/woocommerce.ts';
import { fixedMsClock, TEST_NOW } from '../../support/clock.ts';
import {
  fakeBigCommerceInventory,
  fakeSquareInventory,
  fakeWooCommerce,
  type FakeBigCommerceInventory,
  type FakeSquareInventory,
  type FakeWooCommerce,
} from '../../support/fake-channel-apis.ts';

const now = fixedMsClock(TEST_NOW);
const push = (quantities: ListedQuantity[], reference = 'avail:ch:SKU-1:3', occurredAt = TEST_NOW) => ({
  quantities,
  reference,
  occurredAt,
});

describe('WooCommerce connector: REST v3 batch updates', () => {
  let api: FakeWooCommerce;
  beforeAll(async () => {
    api = await fakeWooCommerce({ key: 'ck_test', secret: 'cs_test' });
    for (let i = 0; i < 150; i++) api.products.set(String(1000 + i), 0);
    api.products.set('22', 0);
    api.products.set('23', 22); // a variation of product 22
  });
  afterAll(async () => api.close());
  const client = (secret = 'cs_test') =>
    woocommerceInventoryClient({
      fetch,
      credentials: { clientId: 'ck_test', clientSecret: secret, baseUrl: api.url },
      now,
    });

  it('sets stock_quantity of products in batches of 100 and of a variation through its parent', async () => {
    const before = api.requests.length;
    const quantities = Array.from({ length: 150 }, (_, i) => ({
      listing: `product:${1000 + i}`,
      location: 'default',
      quantity: i,
    }));
    // the adapter maps a variation both ways: the variation wins, set once
    quantities.push({ listing: 'product:23', location: 'default', quantity: 14 });
    quantities.push({ listing: 'variation:23', location: 'default', quantity: 14 });
    await client().setAvailable(push(quantities));
    const calls = api.requests.slice(before).map((r) => `${r.method} ${r.path}`);
    expect(calls).toEqual([
      'GET /wp-json/wc/v3/products/23',
      'POST /wp-json/wc/v3/products/batch',
      'POST /wp-json/wc/v3/products/batch',
      'POST /wp-json/wc/v3/products/22/variations/batch',
    ]);
    const first = JSON.parse(api.requests[before + 1]!.body) as { update: unknown[] };
    expect(first.update).toHaveLength(100);
    expect(first.update[0]).toEqual({ id: 1000, manage_stock: true, stock_quantity: 0 });
    expect(api.levels.get('1149|default')).toBe(149);
    expect(api.levels.get('23|default')).toBe(14);
    // the parent is remembered
    await client().setAvailable(push([{ listing: 'variation:23', location: 'default', quantity: 9 }]));
    expect(api.requests.at(-1)!.path).toBe('/wp-json/wc/v3/products/22/variations/batch');
    expect(api.levels.get('23|default')).toBe(9);
  });

  it('waits out a 429 for its Retry-After, refuses a bad key or an unknown product', async () => {
    api.failNext({ status: 429, headers: { 'retry-after': '7' }, body: { code: 'too_many_requests' } });
    const limited = await client()
      .setAvailable(push([{ listing: 'product:1000', location: 'default', quantity: 1 }]))
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(ChannelRateLimited);
    expect((limited as ChannelRateLimited).retryAfterSeconds).toBe(7);
    await expect(
      client('cs_wrong').setAvailable(push([{ listing: 'product:1000', location: 'default', quantity: 1 }])),
    ).rejects.toThrow(/HTTP 401.*woocommerce_rest_cannot_view/);
    await expect(
      client().setAvailable(push([{ listing: 'product:999999', location: 'default', quantity: 1 }])),
    ).rejects.toThrow(/woocommerce_rest_product_invalid_id/);
    await expect(
      client().setAvailable(push([{ listing: 'product:abc', location: 'default', quantity: 1 }])),
    ).rejects.toBeInstanceOf(ChannelRefused);
  });
});

describe('Square connector: BatchChangeInventory physical counts', () => {
  let api: FakeSquareInventory;
  beforeAll(async () => {
    api = await fakeSquareInventory({ token: 'sq-token' });
    for (let i = 0; i < 120; i++) api.catalog.add(`VAR${i}`);
  });
  afterAll(async () => api.close());
  const client = (token = 'sq-token') =>
    squareInventoryClient({ fetch, credentials: { accessToken: token, baseUrl: api.url }, now });

  it('sends PHYSICAL_COUNT changes, 100 per call, quantities as strings, with an idempotency key per event', async () => {
    const before = api.requests.length;
    const quantities = Array.from({ length: 120 }, (_, i) => ({
      listing: `VAR${i}`,
      location: 'L8GWV4NH3TQ2J',
      quantity: i,
    }));
    await client().setAvailable(push(quantities));
    const sent = api.requests.slice(before).map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(sent.map((b) => (b.changes as unknown[]).length)).toEqual([100, 20]);
    expect((sent[0]!.changes as unknown[])[5]).toEqual({
      type: 'PHYSICAL_COUNT',
      physical_count: {
        reference_id: 'avail:ch:SKU-1:3',
        catalog_object_id: 'VAR5',
        state: 'IN_STOCK',
        location_id: 'L8GWV4NH3TQ2J',
        quantity: '5',
        occurred_at: TEST_NOW,
      },
    });
    expect(api.requests[before]!.headers['square-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(sent[0]!.idempotency_key).not.toBe(sent[1]!.idempotency_key);
    expect(api.levels.get('VAR119|L8GWV4NH3TQ2J')).toBe(119);
  });

  it('a retried push is the same request to Square; an older count does not replace a newer one', async () => {
    const q = (quantity: number) => [{ listing: 'VAR1', location: 'L1', quantity }];
    await client().setAvailable(push(q(8), 'avail:ch:VAR1:2', '2026-09-15T12:00:02.000Z'));
    const keyOf = () => (JSON.parse(api.requests.at(-1)!.body) as { idempotency_key: string }).idempotency_key;
    const first = keyOf();
    await client().setAvailable(push(q(8), 'avail:ch:VAR1:2', '2026-09-15T12:00:02.000Z'));
    expect(keyOf()).toBe(first);
    await client().setAvailable(push(q(30), 'avail:ch:VAR1:1', '2026-09-15T12:00:01.000Z'));
    expect(api.levels.get('VAR1|L1')).toBe(8);
  });

  it('waits out RATE_LIMITED, refuses an unknown catalog object and a bad token', async () => {
    api.failNext({
      status: 429,
      headers: { 'retry-after': '3' },
      body: { errors: [{ category: 'RATE_LIMIT_ERROR', code: 'RATE_LIMITED', detail: 'Rate limited.' }] },
    });
    const limited = await client()
      .setAvailable(push([{ listing: 'VAR1', location: 'L1', quantity: 1 }], 'r1'))
      .catch((e: unknown) => e);
    expect((limited as ChannelRateLimited).retryAfterSeconds).toBe(3);
    await expect(client().setAvailable(push([{ listing: 'NOPE', location: 'L1', quantity: 1 }], 'r2'))).rejects.toThrow(
      /INVALID_VALUE changes\[0\]\.physical_count\.catalog_object_id/,
    );
    await expect(
      client('bad').setAvailable(push([{ listing: 'VAR1', location: 'L1', quantity: 1 }], 'r3')),
    ).rejects.toThrow(/UNAUTHORIZED/);
  });
});

describe('BigCommerce connector: absolute inventory adjustments', () => {
  let api: FakeBigCommerceInventory;
  beforeAll(async () => {
    api = await fakeBigCommerceInventory({ token: 'bc-token', storeHash: 'k9x2z', quota: 3 });
    for (let i = 0; i < 2100; i++) api.items.add(`variant:${5000 + i}`);
    api.items.add('product:179');
  });
  afterAll(async () => api.close());
  const client = () =>
    bigcommerceInventoryClient({
      fetch,
      credentials: { accessToken: 'bc-token', storeHash: 'k9x2z', baseUrl: api.url },
      now,
    });

  it('sets variants and products at the default location in one batch', async () => {
    api.resetWindow();
    await client().setAvailable(
      push([
        { listing: 'variant:5000', location: 'default', quantity: 4 },
        { listing: 'product:179', location: 'default', quantity: 64 },
      ]),
    );
    const body = JSON.parse(api.requests.at(-1)!.body) as { items: unknown[]; reason: string };
    expect(body.items).toEqual([
      { location_id: 1, variant_id: 5000, quantity: 4 },
      { location_id: 1, product_id: 179, quantity: 64 },
    ]);
    expect(api.requests.at(-1)!.path).toBe('/stores/k9x2z/v3/inventory/adjustments/absolute');
    expect(api.levels.get('product:179|1')).toBe(64);
  });

  it('sends 2,000 items per call and waits the window reset when the quota is used up', async () => {
    api.resetWindow();
    const quantities = Array.from({ length: 2100 }, (_, i) => ({
      listing: `variant:${5000 + i}`,
      location: '2',
      quantity: 1,
    }));
    const before = api.requests.length;
    await client().setAvailable(push(quantities));
    expect(api.requests.slice(before).map((r) => (JSON.parse(r.body) as { items: unknown[] }).items.length)).toEqual([
      2000, 100,
    ]);
    // one request left in the window: the first part uses it, the second must wait the reset
    const limited = await client()
      .setAvailable(push(quantities))
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(ChannelRateLimited);
    expect((limited as ChannelRateLimited).retryAfterSeconds).toBe(15);
    // past the quota BigCommerce answers 429 with the reset
    const after = await client()
      .setAvailable(push([{ listing: 'variant:5000', location: 'default', quantity: 2 }]))
      .catch((e: unknown) => e);
    expect((after as ChannelRateLimited).retryAfterSeconds).toBe(15);
  });

  it('refuses an unknown item (422) and a listing of another shape', async () => {
    api.resetWindow();
    await expect(
      client().setAvailable(push([{ listing: 'variant:1', location: 'default', quantity: 2 }])),
    ).rejects.toThrow(/HTTP 422.*Item not found/);
    await expect(
      client().setAvailable(push([{ listing: 'sku:ABC', location: 'default', quantity: 2 }])),
    ).rejects.toBeInstanceOf(ChannelRefused);
  });
});
