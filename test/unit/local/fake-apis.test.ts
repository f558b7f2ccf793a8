import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE, type FakeApis, type LevelSet, levelLine, startFakeApis } from '#infra/local/fake-apis-servers.ts';
import { CONNECTORS } from '#shared/outbound/connectors/registry.ts';
import type { ApiCredentials } from '#shared/hydrate/types.ts';
import { TEST_NOW } from '#test/support/clock.ts';

/**
 * `npm run fake-apis`'s servers: each channel connector pushes to the URL and credentials the
 * script prints, and the fake reports the quantity it was set to; Square's and BigCommerce's one
 * URL still serves their orders for hydration.
 */
describe('npm run fake-apis: channel APIs', () => {
  let apis: FakeApis;
  const levels: LevelSet[] = [];
  beforeAll(async () => {
    apis = await startFakeApis((l) => levels.push(l));
  });
  afterAll(async () => {
    await apis?.close();
  });

  const push = (source: string, credentials: ApiCredentials, listing: string, location: string, quantity: number) =>
    CONNECTORS[source]!.setAvailable(
      { fetch, credentials, now: () => Date.parse(TEST_NOW) },
      {
        quantities: [{ listing, location, quantity }],
        reference: `avail:test:SKU-1:${quantity}`,
        occurredAt: TEST_NOW,
      },
    );

  it('takes a push from each connector and reports each quantity once', async () => {
    await push(
      'shopify',
      { accessToken: FAKE.shopifyToken, baseUrl: apis.shopify.url },
      `inventory_item:${FAKE.shopifyItem}`,
      FAKE.shopifyLocation,
      7,
    );
    await push(
      'woocommerce',
      { clientId: FAKE.wooKey, clientSecret: FAKE.wooSecret, baseUrl: apis.woocommerce.url },
      `product:${FAKE.wooProduct}`,
      'default',
      8,
    );
    await push(
      'square',
      { accessToken: FAKE.squareToken, baseUrl: apis.square.url },
      FAKE.squareVariation,
      FAKE.squareLocation,
      9,
    );
    await push(
      'bigcommerce',
      { accessToken: FAKE.bcToken, storeHash: FAKE.bcStore, baseUrl: apis.bigcommerce.url },
      `variant:${FAKE.bcVariant}`,
      'default',
      10,
    );
    apis.pollLevels();
    apis.pollLevels();
    expect(levels.map(levelLine)).toEqual([
      `shopify: inventory_item ${FAKE.shopifyItem} at location ${FAKE.shopifyLocation} → 7`,
      `woocommerce: product ${FAKE.wooProduct} → 8`,
      `square: ${FAKE.squareVariation} at location ${FAKE.squareLocation} → 9`,
      `bigcommerce: variant:${FAKE.bcVariant} at location 1 → 10`,
    ]);
  });

  it("serves Square's orders on the URL its inventory is pushed to", async () => {
    apis.square.orders.set('ord-1', { id: 'ord-1', version: 1 });
    const res = await fetch(`${apis.square.url}/v2/orders/batch-retrieve`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${FAKE.squareToken}`,
        'square-version': '2025-01-23',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ order_ids: ['ord-1'] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { orders: Array<{ id: string }> }).orders.map((o) => o.id)).toEqual(['ord-1']);
  });
});
