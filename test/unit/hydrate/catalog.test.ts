import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAndMapListing, resolveCatalogSku } from '#shared/hydrate/catalog.ts';
import { RateLimitedError } from '#shared/hydrate/errors.ts';
import { keys } from '#shared/table/keys.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { fixedClock } from '../../support/clock.ts';
import { fakeBigCommerce, fakeSquare, type FakeBigCommerce, type FakeSquare } from '../../support/fake-senders.ts';

const now = fixedClock();

describe('inventory webhook listings resolved to SKUs through the senders\u2019 catalog APIs', () => {
  let square: FakeSquare;
  let bc: FakeBigCommerce;
  beforeAll(async () => {
    square = await fakeSquare({ token: 'sq-token' });
    bc = await fakeBigCommerce({ token: 'bc-token', storeHash: 'abc123' });
  });
  afterAll(async () => {
    await square.close();
    await bc.close();
  });
  const sq = () => ({
    fetch,
    credentials: { accessToken: 'sq-token', baseUrl: square.url },
    now: () => now().getTime(),
  });
  const big = () => ({
    fetch,
    credentials: { accessToken: 'bc-token', storeHash: 'abc123', baseUrl: bc.url },
    now: () => now().getTime(),
  });

  it('maps a Square ITEM_VARIATION to its SKU once; the next lookup reads the listing map', async () => {
    // Prepare: a catalog object shaped as RetrieveCatalogObject returns an item variation
    square.catalog.set('W62UWFY35CWMYGVWK6TWJDNI', {
      type: 'ITEM_VARIATION',
      id: 'W62UWFY35CWMYGVWK6TWJDNI',
      version: 1_700_000_000_000,
      present_at_all_locations: true,
      item_variation_data: {
        item_id: 'LRAK6VPQCNQL3RJJV4KM2XLU',
        name: 'White',
        sku: 'MUG-WHT',
        ordinal: 1,
        pricing_type: 'FIXED_PRICING',
      },
    });
    const table = new MemoryTable();

    // Act
    const res = await resolveAndMapListing(
      { table, now, client: sq() },
      { source: 'square', channel: 'square-main', listingId: 'W62UWFY35CWMYGVWK6TWJDNI' },
    );

    // Assess
    expect(res).toMatchObject({ kind: 'sku', sku: 'MUG-WHT', mapped: 'applied' });
    expect(await table.get(keys.listing('square-main', 'W62UWFY35CWMYGVWK6TWJDNI'))).toMatchObject({ sku: 'MUG-WHT' });
    const call = square.requests.at(-1)!;
    expect(call.path).toBe('/v2/catalog/object/W62UWFY35CWMYGVWK6TWJDNI');
    expect(call.headers['square-version']).toBeTruthy();
  });

  it('answers unresolved for an unknown Square object and waits out a 429', async () => {
    expect(await resolveCatalogSku('square', 'NOPE', sq())).toMatchObject({ kind: 'unresolved' });
    square.failNext({ status: 429, headers: { 'retry-after': '7' } });
    const err = await resolveCatalogSku('square', 'NOPE', sq()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterSeconds).toBe(7);
  });

  it('resolves BigCommerce variant:<id> and product:<id>, and a missing product as unresolved', async () => {
    bc.variants.set('211', { id: 211, product_id: 112, sku: 'SAUCER-BLU', price: 12.5, inventory_level: 4 });
    bc.catalogProducts.set('113', { id: 113, name: 'Teapot', type: 'physical', sku: 'TEAPOT-1', inventory_level: 9 });
    expect(await resolveCatalogSku('bigcommerce', 'variant:211', big())).toEqual({ kind: 'sku', sku: 'SAUCER-BLU' });
    expect(await resolveCatalogSku('bigcommerce', 'product:113', big())).toEqual({ kind: 'sku', sku: 'TEAPOT-1' });
    expect(await resolveCatalogSku('bigcommerce', 'product:999', big())).toMatchObject({ kind: 'unresolved' });
    expect(bc.requests.map((r) => r.path)).toContain('/stores/abc123/v3/catalog/variants?id:in=211');
  });
});
