import { describe, expect, it } from 'vitest';
import { adapt, AdapterError } from '#shared/adapters/index.ts';
import {
  CHANNEL_SHARES,
  DUPLICATE_SHARE,
  EXTRAS_PER_100,
  generateMix,
  IDENTIFIED_SHARE,
  mixRequests,
  SKU_COUNT,
  skuName,
  type Mix,
} from '../../../bench/mix.ts';

const ORDERS = 1000;
const mix: Mix = generateMix({ orders: ORDERS, seed: 42 });
const bytes = (m: Mix) => JSON.stringify(m.items.map((it) => it.delivery));
const requestBytes = (m: Mix) => JSON.stringify(mixRequests(m).map((r) => ({ ...r, body: r.body.toString('base64') })));

describe('bench mix', () => {
  it('is the same, byte for byte, for the same seed (deliveries and signed requests)', () => {
    const again = generateMix({ orders: ORDERS, seed: 42 });
    expect(bytes(again)).toBe(bytes(mix));
    expect(requestBytes(again)).toBe(requestBytes(mix));
    expect(bytes(generateMix({ orders: ORDERS, seed: 43 }))).not.toBe(bytes(mix));
  });

  it('keeps the channel shares of orders', () => {
    for (const [channel, share] of Object.entries(CHANNEL_SHARES)) {
      const n = mix.orders.filter((o) => o.channel === channel).length;
      expect(Math.abs(n / ORDERS - share)).toBeLessThan(0.005);
    }
  });

  it('has the per-100-orders extras and 3% duplicates', () => {
    const count = (kind: string) => mix.items.filter((it) => it.kind === kind).length;
    for (const [kind, per100] of Object.entries(EXTRAS_PER_100))
      expect(count(kind)).toBe(Math.round((ORDERS * per100) / 100));
    const originals = mix.items.length - count('duplicate');
    expect(Math.abs(count('duplicate') / originals - DUPLICATE_SHARE)).toBeLessThan(0.002);
    // a duplicate carries the same body and sender idempotency key as an earlier delivery
    const seen = new Map<string, number>();
    for (const it of mix.items) {
      const key = `${it.delivery.dedupKey}|${it.body}`;
      if (it.kind === 'duplicate') expect(seen.has(key)).toBe(true);
      seen.set(key, it.seq);
    }
    const restocking = mix.orders.filter((o) => o.refund === 'restock').length;
    expect(restocking).toBe(Math.floor(count('refund') / 2));
  });

  it('has the deliveries per order of each channel', () => {
    const perOrder = { shopify: 5, woocommerce: 3, walmart: 2, amazon: 3, partner: 2 };
    const orderKinds = new Set(['create', 'noop-update', 'paid', 'fulfilled', 'cancel']);
    for (const [channel, n] of Object.entries(perOrder)) {
      const orders = mix.orders.filter((o) => o.channel === channel).length;
      const deliveries = mix.items.filter(
        (it) => it.channel === channel && it.kind !== 'duplicate' && orderKinds.has(it.kind),
      ).length;
      expect(deliveries).toBe(orders * n);
    }
  });

  it('shapes orders as the mix says: lines, currencies, long-tail SKUs', () => {
    const lines = (k: (n: number) => boolean) => mix.orders.filter((o) => k(o.lines.length)).length / ORDERS;
    expect(Math.abs(lines((n) => n === 1) - 0.6)).toBeLessThan(0.05);
    expect(Math.abs(lines((n) => n === 2) - 0.25)).toBeLessThan(0.05);
    expect(Math.abs(lines((n) => n >= 3 && n <= 5) - 0.15)).toBeLessThan(0.04);
    expect(lines((n) => n > 5)).toBe(0);
    for (const [cur, share] of [
      ['USD', 0.7],
      ['EUR', 0.2],
      ['PLN', 0.1],
    ] as const) {
      expect(Math.abs(mix.orders.filter((o) => o.currency === cur).length / ORDERS - share)).toBeLessThan(0.05);
    }
    const big = generateMix({ orders: 4000, seed: 7 });
    const units = new Map<string, number>();
    for (const o of big.orders) for (const l of o.lines) units.set(l.sku, (units.get(l.sku) ?? 0) + l.qty);
    const total = [...units.values()].reduce((a, b) => a + b, 0);
    const top20 = Array.from({ length: 20 }, (_, i) => units.get(skuName(i)) ?? 0).reduce((a, b) => a + b, 0);
    expect(Math.abs(top20 / total - 1 / 3)).toBeLessThan(0.04);
    expect(units.size).toBeGreaterThan(SKU_COUNT / 2);
    for (const sku of units.keys()) expect(Number(sku.slice(4))).toBeLessThanOrEqual(SKU_COUNT);
  });

  it('spreads orders over 90 days with a flash-sale day', () => {
    const days = new Map<number, number>();
    for (const o of mix.orders) {
      const d = Math.floor((o.createdAt - Date.parse('2026-01-05T00:00:00Z')) / 86_400_000);
      days.set(d, (days.get(d) ?? 0) + 1);
    }
    expect(Math.min(...days.keys())).toBeGreaterThanOrEqual(0);
    expect(Math.max(...days.keys())).toBeLessThan(90);
    const sorted = [...days.values()].sort((a, b) => b - a);
    expect(sorted[0]!).toBeGreaterThan(4 * sorted[Math.floor(sorted.length / 2)]!);
  });

  it('delivers in arrival order, and every delivery passes adapt()', () => {
    for (let i = 1; i < mix.items.length; i++)
      expect(mix.items[i]!.arrivalAt).toBeGreaterThanOrEqual(mix.items[i - 1]!.arrivalAt);
    const failures: string[] = [];
    let events = 0;
    for (const it of mix.items) {
      try {
        events += adapt({ delivery: it.delivery, body: it.body }).length;
      } catch (err) {
        failures.push(`${it.topic}: ${err instanceof AdapterError ? err.message : String(err)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(events).toBeGreaterThanOrEqual(mix.items.length);
  });

  it('names customers as the senders do: shares per channel, Shopify ids past 2^53 kept exact, repeat and dearer-variant orders', () => {
    // shares of identified orders; Walmart and Amazon name no buyer
    for (const [channel, share] of Object.entries(IDENTIFIED_SHARE)) {
      const of = mix.orders.filter((o) => o.channel === channel);
      expect(Math.abs(of.filter((o) => o.customer).length / of.length - share)).toBeLessThan(0.06);
    }
    expect(mix.orders.some((o) => (o.channel === 'walmart' || o.channel === 'amazon') && o.customer)).toBe(false);
    // each create delivery's customer reference, as the adapter reads it from the raw bytes
    const refs = new Map<string, string | undefined>();
    for (const it of mix.items.filter((i) => i.kind === 'create')) {
      const e = adapt({ delivery: it.delivery, body: it.body }).find((x) => x.type === 'OrderUpserted');
      if (e?.type === 'OrderUpserted') refs.set(`${it.channel}/${e.orderId}`, e.customerRef);
    }
    const shopify = mix.orders.filter((o) => o.channel === 'shopify');
    const shopifyRefs = [...refs].filter(([k]) => k.startsWith('shopify/')).map(([, r]) => r);
    expect(shopifyRefs.filter((r) => r !== undefined).sort()).toEqual(
      shopify.flatMap((o) => (o.customer ? [`id:${o.customer}`] : [])).sort(),
    );
    expect(shopify.every((o) => !o.customer || BigInt(o.customer) > 2n ** 53n)).toBe(true);
    // a WooCommerce guest (customer_id 0) is told apart by its billing email
    expect([...refs].filter(([k]) => k.startsWith('woocommerce/')).every(([, r]) => r !== undefined)).toBe(true);
    // some customers come back, some of them for a dearer variant of a product they bought
    const byCustomer = new Map<string, typeof mix.orders>();
    for (const o of [...mix.orders].sort((a, b) => a.createdAt - b.createdAt))
      if (o.customer)
        byCustomer.set(`${o.channel}/${o.customer}`, [...(byCustomer.get(`${o.channel}/${o.customer}`) ?? []), o]);
    const repeat = [...byCustomer.values()].filter((os) => os.length > 1);
    expect(repeat.length).toBeGreaterThan(50);
    const product = (sku: string) => Math.floor((Number(sku.slice(4)) - 1) / 4);
    const dearer = repeat.filter((os) =>
      os
        .slice(1)
        .some((o) =>
          o.lines.some((l) =>
            os[0]!.lines.some(
              (f) => f.sku !== l.sku && product(f.sku) === product(l.sku) && o.channel !== 'woocommerce',
            ),
          ),
        ),
    );
    expect(dearer.length).toBeGreaterThan(5);
  });

  it('signs requests the hub can verify (one per HTTP delivery, Amazon left out)', async () => {
    const { verifySignature } = await import('#shared/ingest/schemes/registry.ts');
    const requests = mixRequests(mix, { now: new Date() });
    expect(requests.length).toBe(mix.items.filter((it) => it.source !== 'amazon').length);
    const byId = new Map(mix.connections.map((c) => [c.id, c]));
    for (const r of requests.slice(0, 400)) {
      const conn = byId.get(r.path.split('/').pop()!)!;
      const result = await verifySignature(
        {
          connection: conn,
          headers: r.headers,
          body: r.body,
          url: `https://hub.example.com${r.path}`,
          now: new Date(),
        },
        { get: async () => undefined },
      );
      expect(result.ok, `${r.path} ${JSON.stringify(result)}`).toBe(true);
    }
  });
});
