import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { runCli } from '#infra/local/cli.ts';
import { demoHubConfig, parseHubConfig } from '#infra/local/config.ts';
import { startLocalHub } from '#infra/local/hub.ts';
import { fakeShopifyAdmin } from '../test/support/fake-shopify-admin.ts';
import { percentile, round, type BenchContext } from './lib.ts';

/**
 * Order on channel A → channel B's listed quantity, on the local hub (moto, the real handlers, the
 * queue and stream pollers, the fold with the stack's window, the outbound function, a fake Shopify
 * GraphQL Admin API for B): the time from posting A's signed `orders/create` to B's API having been
 * set to the new available-to-sell. Orders are sent one at a time, each after the previous push.
 */
const TOKEN = 'shpat_bench_b_0123456789';
const ITEM = '271878346596884015';
const LOCATION = '24826418';

export async function orderToChannelLatency(
  ctx: BenchContext,
): Promise<{ orders: number; pushed: number; p50: number; p99: number; max: number }> {
  const n = ctx.quick ? 3 : 10;
  const admin = await fakeShopifyAdmin(TOKEN);
  const demo = demoHubConfig();
  const shopBSecret = randomBytes(16).toString('hex');
  const config = parseHubConfig({
    connections: [
      ...demo.connections.map((c) => ({
        id: c.id,
        source: c.source,
        channel: c.channel,
        ...(c.partner ? { partner: c.partner } : {}),
        secret: c.secrets[0],
      })),
      { id: 'shop-b', source: 'shopify', channel: 'shopify-b', secret: shopBSecret },
    ],
    apiKeys: demo.apiKeys,
    channels: [
      ...demo.channels,
      { channel: 'shopify-b', locationMap: { [LOCATION]: 'WH-MAIN' }, push: { connection: 'shop-b' } },
    ],
  });
  const prefix = `benchpush${randomBytes(3).toString('hex')}`;
  // the handlers' per-message log lines would bury the bench's own output
  const logLevel = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
  const hub = await startLocalHub({ port: 0, config, quiet: true, prefix });
  try {
    const env = {
      AWS_REGION: hub.region,
      HUB_AWS_ENDPOINT: hub.awsEndpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      HUB_TABLE_NAME: hub.resources.tableName,
      HUB_OUTBOUND_QUEUE_URL: hub.resources.outboundQueueUrl,
      HUB_INGEST_QUEUE_URL: hub.resources.ingestQueueUrl,
      HUB_INGEST_DLQ_URL: hub.resources.ingestDlqUrl,
      HUB_STAGE: `local-${prefix}`,
    };
    const quiet = () => undefined;
    await runCli(['connections', 'credentials', 'shop-b', '--token', TOKEN, '--base-url', admin.url], env, quiet);
    const sku = `LAT-${randomUUID().slice(0, 8)}`;
    await runCli(['listings', 'map', 'shopify-b', `inventory_item:${ITEM}`, sku], env, quiet);
    const key = hub.config.apiKeys.find((k) => k.scopes.includes('admin'))!.key;
    const onHand = 1000;
    const counted = await fetch(`${hub.url}/v1/stock/counts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        channel: 'wms',
        counts: [{ sku, location: 'WH-MAIN', onHand, asOf: new Date().toISOString() }],
      }),
    });
    if (counted.status >= 300) throw new Error(`count refused: HTTP ${counted.status}`);
    const level = `gid://shopify/InventoryItem/${ITEM}|gid://shopify/Location/${LOCATION}`;
    // the count itself is pushed first: wait for it, so each order's push is its own
    await until(() => admin.levels.get(level) === onHand, 30_000);
    const shopA = hub.config.connections.find((c) => c.id === 'demo-shop')!;
    const latencies: number[] = [];
    for (let i = 1; i <= n; i++) {
      const now = new Date().toISOString();
      const body = JSON.stringify({
        id: `${Date.now()}${i}`,
        name: `#${4000 + i}`,
        created_at: now,
        updated_at: now,
        currency: 'USD',
        total_price: '10.00',
        financial_status: 'paid',
        fulfillment_status: null,
        cancelled_at: null,
        location_id: null,
        line_items: [{ id: 99000 + i, sku, quantity: 1, price: '10.00', variant_id: 1, product_id: 2 }],
      });
      const t0 = performance.now();
      const res = await fetch(`${hub.url}/webhooks/demo-shop`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-shopify-hmac-sha256': createHmac('sha256', shopA.secrets[0]!).update(body).digest('base64'),
          'x-shopify-topic': 'orders/create',
          'x-shopify-event-id': randomUUID(),
          'x-shopify-webhook-id': randomUUID(),
          'x-shopify-shop-domain': 'demo-shop.myshopify.com',
          'x-shopify-api-version': '2025-10',
          'x-shopify-triggered-at': now,
        },
        body,
      });
      if (res.status !== 202) throw new Error(`order refused: HTTP ${res.status}`);
      if (await until(() => admin.levels.get(level) === onHand - i, 30_000)) latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    return {
      orders: n,
      pushed: latencies.length,
      p50: round(percentile(latencies, 50), 0),
      p99: round(percentile(latencies, 99), 0),
      max: round(latencies.at(-1) ?? Number.NaN, 0),
    };
  } finally {
    await hub.stop();
    await admin.close();
    if (logLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = logLevel;
  }
}

async function until(probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!probe()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
