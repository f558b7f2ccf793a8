import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '#infra/local/cli.ts';
import { startLocalHub, type LocalHub } from '#infra/local/hub.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { awsEndpoint, motoEnv, uniqueName } from '#test/support/aws.ts';
import { startReceiver, type WebhookReceiver } from '#test/support/webhook-receiver.ts';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Delivered {
  type: string;
  data: { channel: string; sku: string; availableToSell: number; version: number };
}

/**
 * The whole outbound path on the local hub: a warehouse count, then an order on one channel; the
 * fold derives the channels' available-to-sell and the outbound function delivers it, signed, to
 * a subscriber — so an order on channel A changes what channel B is told it may sell. The values
 * delivered are the ones the stock API answers (allocation rules applied).
 */
describe('an order on one channel reaches every channel’s subscriber through the fold', () => {
  let hub: LocalHub;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    hub = await startLocalHub({ port: 0, awsEndpoint: awsEndpoint(), prefix: uniqueName('obfold'), quiet: true });
    receiver = await startReceiver([]);
  }, 120_000);

  afterAll(async () => {
    await hub?.stop();
    await receiver?.close();
  });

  it('delivers each channel’s new available-to-sell within seconds, equal to the stock API’s', async () => {
    const out: string[] = [];
    const cliEnv = {
      ...motoEnv(),
      HUB_TABLE_NAME: hub.resources.tableName,
      HUB_OUTBOUND_QUEUE_URL: hub.resources.outboundQueueUrl,
    };
    await runCli(['subscriptions', 'add', '--url', receiver.url, '--events', 'stock.available.changed'], cliEnv, (l) =>
      out.push(l),
    );
    receiver.secrets.push(/whsec_\S+/.exec(out.join('\n'))![0]);
    const key = hub.config.apiKeys.find((k) => k.scopes.includes('admin'))!.key;
    const sku = `OB-${randomUUID().slice(0, 8)}`;
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

    // Act: the warehouse counts 40, then the Shopify channel sells 3
    const counted = await fetch(`${hub.url}/v1/stock/counts`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        channel: 'wms',
        counts: [{ sku, location: 'WH-MAIN', onHand: 40, asOf: systemClock().toISOString() }],
      }),
    });
    expect(counted.status).toBeLessThan(300);
    const shop = hub.config.connections.find((c) => c.id === 'demo-shop')!;
    const body = JSON.stringify({
      id: `${Date.now()}${Math.floor(Math.random() * 1e6)}`,
      name: '#2001',
      created_at: systemClock().toISOString(),
      updated_at: systemClock().toISOString(),
      currency: 'USD',
      total_price: '30.00',
      financial_status: 'paid',
      fulfillment_status: null,
      cancelled_at: null,
      location_id: null,
      line_items: [{ id: 77001, sku, quantity: 3, price: '10.00', variant_id: 1, product_id: 2 }],
    });
    const t0 = performance.now();
    const res = await fetch(`${hub.url}/webhooks/demo-shop`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-shopify-hmac-sha256': createHmac('sha256', shop.secrets[0]!).update(body).digest('base64'),
        'x-shopify-topic': 'orders/create',
        'x-shopify-event-id': randomUUID(),
        'x-shopify-webhook-id': randomUUID(),
        'x-shopify-shop-domain': 'demo.myshopify.com',
        'x-shopify-api-version': '2025-10',
        'x-shopify-triggered-at': systemClock().toISOString(),
      },
      body,
    });
    expect(res.status).toBe(202);

    // Assess: the other channel (the partner's) hears of the sale, signed and verified
    const latest = () => {
      const last = new Map<string, Delivered['data']>();
      for (const r of receiver.received) {
        const p = r.payload as unknown as Delivered;
        if (p.type !== 'stock.available.changed' || p.data.sku !== sku) continue;
        const prev = last.get(p.data.channel);
        if (!prev || prev.version < p.data.version) last.set(p.data.channel, p.data);
      }
      return last;
    };
    // (the count alone was delivered too: wait for the value after the sale)
    await waitFor('the partner channel’s delivery', () =>
      latest().get('partner-demo')?.availableToSell === 37 ? true : undefined,
    );
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(receiver.rejected).toBe(0);
    const stock = (await (await fetch(`${hub.url}/v1/stock/${sku}`, { headers: auth })).json()) as {
      channels: { channel: string; availableToSell: number }[];
    };
    // every channel's last delivered value is what the stock API says it may sell now
    await waitFor('every channel’s delivery', () =>
      stock.channels.every((c) => latest().get(c.channel)?.availableToSell === c.availableToSell) ? true : undefined,
    );
    expect(stock.channels.map((c) => c.channel)).toEqual(expect.arrayContaining(['shopify-demo', 'partner-demo']));
    // allocation applied: the partner's cap (50) is above what is left, Shopify gets 80% less a buffer of 2
    expect(latest().get('partner-demo')?.availableToSell).toBe(37);
    expect(latest().get('shopify-demo')?.availableToSell).toBe(Math.floor(37 * 0.8) - 2);
  }, 90_000);

  it('delivers a count that no order follows, within the fold window, and a recount again', async () => {
    const key = hub.config.apiKeys.find((k) => k.scopes.includes('admin'))!.key;
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const sku = `CT-${randomUUID().slice(0, 8)}`;
    const partnerValues = () =>
      receiver.received
        .map((r) => r.payload as unknown as Delivered)
        .filter((p) => p.type === 'stock.available.changed' && p.data.sku === sku && p.data.channel === 'partner-demo')
        .map((p) => p.data);
    const count = async (onHand: number) => {
      const res = await fetch(`${hub.url}/v1/stock/counts`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          channel: 'wms',
          counts: [{ sku, location: 'WH-MAIN', onHand, asOf: systemClock().toISOString() }],
        }),
      });
      expect(res.status).toBeLessThan(300);
    };

    // Act: the warehouse counts 12; no order for the SKU ever arrives
    const t0 = performance.now();
    await count(12);

    // Assess: the partner channel hears of it (its cap of 50 is above the count)
    const first = await waitFor('the count’s delivery', () => partnerValues().find((d) => d.availableToSell === 12));
    expect(performance.now() - t0).toBeLessThan(30_000);

    // Act: a recount to 7
    await count(7);

    // Assess: a newer version with the new value; the old value is not delivered again as new
    const second = await waitFor('the recount’s delivery', () => partnerValues().find((d) => d.availableToSell === 7));
    expect(second.version).toBeGreaterThan(first.version);
    expect(receiver.rejected).toBe(0);
  }, 90_000);
});
