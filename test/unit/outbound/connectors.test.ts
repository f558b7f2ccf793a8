import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECHO_WINDOW_MS, isEcho, type PushRecord } from '#shared/outbound/connectors/echo.ts';
import { ChannelRateLimited, ChannelRefused, shopifyInventoryClient } from '#shared/outbound/connectors/shopify.ts';
import { TEST_NOW } from '../../support/clock.ts';
import { fakeShopifyAdmin, type FakeShopifyAdmin } from '../../support/fake-shopify-admin.ts';

describe('Shopify connector: inventorySetQuantities', () => {
  let api: FakeShopifyAdmin;
  beforeAll(async () => {
    api = await fakeShopifyAdmin('shpat_test');
  });
  afterAll(async () => api.close());
  const client = () => shopifyInventoryClient({ fetch, credentials: { accessToken: 'shpat_test', baseUrl: api.url } });

  it('sets available per inventory item and location, ids kept as text, 250 per call', async () => {
    const quantities = Array.from({ length: 260 }, (_, i) => ({
      inventoryItemId: `${43729076 + i}`,
      locationId: '124656943',
      quantity: i,
    }));
    // an id past 2^53 must reach Shopify exactly as it came
    quantities.push({ inventoryItemId: '9007199254740993', locationId: '124656943', quantity: 5 });
    const before = api.calls;
    await client().setAvailable(quantities, 'gid://inventory-hub/StockChange/avail:shop:SKU-1:3');
    expect(api.calls - before).toBe(2);
    expect(api.levels.get('gid://shopify/InventoryItem/43729076|gid://shopify/Location/124656943')).toBe(0);
    expect(api.levels.get('gid://shopify/InventoryItem/9007199254740993|gid://shopify/Location/124656943')).toBe(5);
  });

  it('turns 429 + Retry-After and a THROTTLED cost error into a delay to retry after', async () => {
    api.failNext('429');
    const e1 = await client()
      .setAvailable([{ inventoryItemId: '1', locationId: '2', quantity: 1 }], 'r')
      .catch((e) => e);
    expect(e1).toBeInstanceOf(ChannelRateLimited);
    expect((e1 as ChannelRateLimited).retryAfterSeconds).toBe(2);
    api.failNext('throttled');
    const e2 = await client()
      .setAvailable([{ inventoryItemId: '1', locationId: '2', quantity: 1 }], 'r')
      .catch((e) => e);
    expect(e2).toBeInstanceOf(ChannelRateLimited);
    // 10 points wanted, 4 available, 100 restored per second: 1 s
    expect((e2 as ChannelRateLimited).retryAfterSeconds).toBe(1);
    api.failNext('500');
    await expect(client().setAvailable([{ inventoryItemId: '1', locationId: '2', quantity: 1 }], 'r')).rejects.toThrow(
      /HTTP 500/,
    );
  });

  it('refuses for good on a bad token or userErrors', async () => {
    const bad = shopifyInventoryClient({ fetch, credentials: { accessToken: 'wrong', baseUrl: api.url } });
    await expect(
      bad.setAvailable([{ inventoryItemId: '1', locationId: '2', quantity: 1 }], 'r'),
    ).rejects.toBeInstanceOf(ChannelRefused);
    await expect(
      client().setAvailable([{ inventoryItemId: 'abc', locationId: '2', quantity: 1 }], 'r'),
    ).rejects.toThrow(/INVALID_INVENTORY_ITEM/);
  });
});

describe('loop safety: the echo of a push', () => {
  const at = Date.parse(TEST_NOW);
  const pushed: PushRecord = {
    channel: 'shop',
    listing: 'inventory_item:43729076',
    location: '124656943',
    quantity: 7,
    at,
  };
  const report = {
    channel: 'shop',
    listing: 'inventory_item:43729076',
    location: '124656943',
    quantity: 7,
    at: at + 2000,
  };

  it('recognises the webhook reporting the quantity just pushed', () => {
    expect(isEcho(pushed, report)).toBe(true);
  });

  it('treats anything else as a new count: another quantity, listing or location, or long after', () => {
    expect(isEcho(pushed, { ...report, quantity: 6 })).toBe(false);
    expect(isEcho(pushed, { ...report, listing: 'inventory_item:1' })).toBe(false);
    expect(isEcho(pushed, { ...report, location: '1' })).toBe(false);
    expect(isEcho(pushed, { ...report, at: at + ECHO_WINDOW_MS + 1 })).toBe(false);
    expect(isEcho(undefined, report)).toBe(false);
  });
});
