import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { demoHubConfig } from '#infra/local/config.ts';
import { hubBanner, type LocalHub } from '#infra/local/hub.ts';

function banner(): string {
  const hub = {
    url: 'http://127.0.0.1:3000',
    awsEndpoint: 'http://127.0.0.1:5000',
    config: demoHubConfig(),
  } as unknown as LocalHub;
  return hubBanner(hub);
}

/** The single-quoted JSON after `BODY=` on a line. */
function bodies(text: string): Array<Record<string, any>> {
  return [...text.matchAll(/BODY='([^']*)'/g)].map((m) => JSON.parse(m[1]!) as Record<string, any>);
}

describe("npm start's banner tells one story with the README", () => {
  it("places an order of its own: its order id is not the README's first webhook's", () => {
    // Prepare
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const readmeOrders = bodies(readme).filter((b) => Array.isArray(b.line_items));

    // Act
    const bannerOrders = bodies(banner()).filter((b) => Array.isArray(b.line_items));

    // Assess
    expect(readmeOrders).toHaveLength(1);
    expect(bannerOrders).toHaveLength(1);
    const ids = [...readmeOrders, ...bannerOrders].map((o) => o.id);
    const names = [...readmeOrders, ...bannerOrders].map((o) => o.name);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(names).size).toBe(names.length);
  });

  it('counts stock at WH-MAIN, the only location of the SKU the orders (which name none) reserve', () => {
    // Act
    const all = bodies(banner());

    // Assess
    const counts = all.filter((b) => b.type === 'stock.set');
    const orders = all.filter((b) => Array.isArray(b.line_items));
    expect(counts.map((c) => c.data.location)).toEqual(['WH-MAIN']);
    expect(orders.every((o) => o.location_id == null)).toBe(true);
    expect(
      new Set([
        ...counts.map((c) => c.data.sku),
        ...orders.flatMap((o) => o.line_items.map((l: { sku: string }) => l.sku)),
      ]),
    ).toEqual(new Set(['SKU-1']));
  });
});

describe("npm start's banner on what a restart keeps", () => {
  it('says that a hub on its own moto starts empty again, and that a given endpoint keeps the state', () => {
    // Prepare
    const config = demoHubConfig();
    const own = {
      url: 'http://127.0.0.1:3000',
      awsEndpoint: 'http://127.0.0.1:5000',
      moto: {},
      config,
    } as unknown as LocalHub;
    const given = { url: 'http://127.0.0.1:3000', awsEndpoint: 'http://127.0.0.1:4566', config } as unknown as LocalHub;
    // Act
    const [a, b] = [hubBanner(own), hubBanner(given)];
    // Assess
    expect(a).toMatch(/^state: .*a restart begins empty/m);
    expect(b).toMatch(/^state: kept by http:\/\/127\.0\.0\.1:4566/m);
  });
});
