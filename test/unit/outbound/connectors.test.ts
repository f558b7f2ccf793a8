import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECHO_WINDOW_MS, isEcho, type PushRecord } from '#shared/outbound/connectors/echo.ts';
import { pushAvailable, type ChannelPushDeps } from '#shared/outbound/connectors/push.ts';
import { CONNECTORS } from '#shared/outbound/connectors/registry.ts';
import { ChannelRateLimited, ChannelRefused, shopifyInventoryClient } from '#shared/outbound/connectors/shopify.ts';
import type { StockAvailableChanged } from '#shared/outbound/events.ts';
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

describe('pushing available-to-sell to a channel', () => {
  let api: FakeShopifyAdmin;
  beforeAll(async () => {
    api = await fakeShopifyAdmin('shpat_push');
  });
  afterAll(async () => api.close());

  function deps() {
    const sent = new Map<string, number>();
    const done = new Map<string, number>();
    const confirmed: PushRecord[] = [];
    const d: ChannelPushDeps = {
      targets: async (channel, sku) =>
        channel === 'shopify-main' && sku === 'MUG-WHT'
          ? [{ connectionId: 'shop-1', listing: 'inventory_item:43729076', location: '124656943' }]
          : [],
      records: {
        // as the outbound claims: a newer version sent, or this one confirmed, refuses
        claim: async (channel, sku, version) => {
          const key = `${channel}|${sku}`;
          if ((sent.get(key) ?? -1) > version || (done.get(key) ?? -1) >= version) return false;
          sent.set(key, version);
          return true;
        },
        confirm: async (channel, sku, version, pushed) => {
          done.set(`${channel}|${sku}`, version);
          confirmed.push(pushed);
        },
      },
      setAvailable: (_id, quantities, event) =>
        CONNECTORS.shopify!.setAvailable(
          { fetch, credentials: { accessToken: 'shpat_push', baseUrl: api.url }, now: () => Date.parse(TEST_NOW) },
          { quantities, reference: event.id, occurredAt: event.at },
        ),
      now: () => Date.parse(TEST_NOW),
    };
    return { d, confirmed };
  }
  const ev = (availableToSell: number, version: number): StockAvailableChanged => ({
    type: 'stock.available.changed',
    id: `avail:shopify-main:MUG-WHT:${version}`,
    at: TEST_NOW,
    data: { channel: 'shopify-main', sku: 'MUG-WHT', availableToSell, version },
  });
  const level = () => api.levels.get('gid://shopify/InventoryItem/43729076|gid://shopify/Location/124656943');

  it('sets the listed quantity, never pushes an older version over a newer one, and records what it pushed for the echo check', async () => {
    const { d, confirmed } = deps();
    expect(await pushAvailable(ev(9, 2), d)).toBe('pushed');
    expect(level()).toBe(9);
    expect(await pushAvailable(ev(12, 1), d)).toBe('superseded');
    expect(level()).toBe(9);
    expect(await pushAvailable(ev(-3, 3), d)).toBe('pushed');
    expect(level()).toBe(0); // oversold: listed at 0
    expect(confirmed.at(-1)).toEqual({
      channel: 'shopify-main',
      listing: 'inventory_item:43729076',
      location: '124656943',
      quantity: 0,
      at: Date.parse(TEST_NOW),
    });
    expect(
      isEcho(confirmed.at(-1), {
        channel: 'shopify-main',
        listing: 'inventory_item:43729076',
        location: '124656943',
        quantity: 0,
        at: Date.parse(TEST_NOW) + 1500,
      }),
    ).toBe(true);
    expect(await pushAvailable({ ...ev(5, 4), data: { ...ev(5, 4).data, sku: 'UNLISTED' } }, d)).toBe('not-pushed');
  });

  it('a rate-limited push is thrown for the queue to delay, and its retry goes out', async () => {
    const { d } = deps();
    api.failNext('429');
    await expect(pushAvailable(ev(4, 1), d)).rejects.toBeInstanceOf(ChannelRateLimited);
    // the failed attempt claimed version 1 without confirming it: its retry still goes out, once
    expect(await pushAvailable(ev(4, 1), d)).toBe('pushed');
    expect(level()).toBe(4);
    expect(await pushAvailable(ev(4, 1), d)).toBe('superseded');
  });
});
