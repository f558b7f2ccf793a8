import { describe, expect, it } from 'vitest';
import type { HttpError } from '#shared/http/errors.ts';
import { ChannelConfigSchema, type ChannelConfigInput } from '#shared/inventory/channel-config.ts';
import { readSku } from '#shared/inventory/stock-read.ts';
import { apiKey, MemoryStock } from './support.ts';

async function deps(channels: ChannelConfigInput[] = []) {
  const stock = new MemoryStock();
  await stock.set('SKU-1', 'WH-A', '2026-03-01T10:00:00.000Z', 40);
  await stock.set('SKU-1', 'WH-B', '2026-03-01T11:00:00.000Z', 25);
  await stock.set('SKU-1', 'WH-C', '2026-03-01T12:00:00.000Z', -3);
  return { stock, channels: { list: async () => channels.map((c) => ChannelConfigSchema.parse(c)) } };
}

describe('readSku', () => {
  it('sums the locations and applies each channel rule', async () => {
    // Prepare
    const d = await deps([
      { channel: 'amazon', allocation: { share: 0.5, buffer: 5, maxListed: 100 } },
      { channel: 'shop', allocation: { locations: ['WH-B'] } },
    ]);
    // Act
    const view = await readSku(d, apiKey(), 'SKU-1', {});
    // Assess
    expect(view.available).toBe(62);
    expect(view.locations.map((l) => l.location)).toEqual(['WH-A', 'WH-B', 'WH-C']);
    expect(view.channels).toEqual([
      { channel: 'amazon', availableToSell: 27 },
      { channel: 'shop', availableToSell: 25 },
    ]);
  });

  it('shows what a channel reports listing beside its available-to-sell, leaving the balances alone', async () => {
    // Prepare: a port that also reads listed quantities; "shop" reports none
    const d = await deps([
      { channel: 'amazon', allocation: { share: 0.5, buffer: 5, maxListed: 100 } },
      { channel: 'shop' },
    ]);
    const stock = Object.assign(d.stock, {
      skuState: async (sku: string) => ({
        balances: await d.stock.balancesOf(sku),
        listed: [{ channel: 'amazon', quantity: 99, asOf: '2026-03-02T23:02:41.117Z' }],
      }),
    });
    // Act
    const view = await readSku({ ...d, stock }, apiKey(), 'SKU-1', {});
    // Assess
    expect(view.available).toBe(62);
    expect(view.channels).toEqual([
      { channel: 'amazon', availableToSell: 27, listedQuantity: 99, listedAsOf: '2026-03-02T23:02:41.117Z' },
      { channel: 'shop', availableToSell: 65 },
    ]);
  });

  it('shows a partner key only its locations and channels', async () => {
    // Prepare
    const d = await deps([{ channel: 'acme-web', partner: 'acme' }, { channel: 'shop' }]);
    const partner = apiKey({ partner: 'acme', locations: ['WH-B'] });
    // Act
    const view = await readSku(d, partner, 'SKU-1', {});
    // Assess
    expect(view.locations.map((l) => l.location)).toEqual(['WH-B']);
    expect(view.available).toBe(25);
    expect(view.channels.map((c) => c.channel)).toEqual(['acme-web']);
  });

  it.each([
    ['an unknown SKU', 'NOPE', {}, apiKey(), 404],
    ['a SKU with a "#"', 'A#B', {}, apiKey(), 400],
    [
      'a location outside the partner key',
      'SKU-1',
      { location: 'WH-A' },
      apiKey({ partner: 'acme', locations: ['WH-B'] }),
      403,
    ],
    [
      'a channel outside the partner key',
      'SKU-1',
      { channel: 'shop' },
      apiKey({ partner: 'acme', locations: ['WH-B'] }),
      403,
    ],
    ['a partner key that lists no locations', 'SKU-1', {}, apiKey({ partner: 'acme' }), 403],
    ['an unconfigured channel', 'SKU-1', { channel: 'nope' }, apiKey(), 404],
  ])('answers %s with its status', async (_name, sku, query, key, status) => {
    // Prepare
    const d = await deps([{ channel: 'acme-web', partner: 'acme' }, { channel: 'shop' }]);
    // Act
    const err = await readSku(d, key, sku, query).catch((e: unknown) => e);
    // Assess
    expect((err as HttpError).statusCode).toBe(status);
  });
});
