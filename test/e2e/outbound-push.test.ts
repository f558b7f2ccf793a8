import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '#shared/aws/config.ts';
import { keys } from '#shared/table/keys.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '#infra/local/cli.ts';
import { demoHubConfig, parseHubConfig } from '#infra/local/config.ts';
import { startLocalHub, type LocalHub } from '#infra/local/hub.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { awsEndpoint, motoEnv, uniqueName } from '#test/support/aws.ts';
import { fakeShopifyAdmin, type FakeShopifyAdmin } from '#test/support/fake-shopify-admin.ts';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const TOKEN = 'shpat_fake_b_0123456789';
// numeric ids above 2^53, as Shopify's are (its test notification's inventory item id is one)
const ITEM = '271878346596884015';
const LOCATION = '24826418';

/**
 * Channel connectors on the local hub: channel B (a second Shopify store) is pushed to through its
 * connection's API credentials, on a fake GraphQL Admin API. An order on channel A changes the
 * quantity B lists; B's `inventory_levels/update` echoing that push is not applied as a count.
 */
describe('an order on channel A changes what channel B lists, on B’s own API', () => {
  let hub: LocalHub;
  let admin: FakeShopifyAdmin;
  const shopBSecret = randomBytes(16).toString('hex');
  const prefix = uniqueName('obpush');

  beforeAll(async () => {
    admin = await fakeShopifyAdmin(TOKEN);
    const demo = demoHubConfig();
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
        // B lists what is left less a buffer of 5, from WH-MAIN, which B calls location 24826418
        {
          channel: 'shopify-b',
          allocation: { buffer: 5 },
          locationMap: { [LOCATION]: 'WH-MAIN' },
          push: { connection: 'shop-b' },
        },
      ],
    });
    hub = await startLocalHub({
      port: 0,
      awsEndpoint: awsEndpoint(),
      prefix,
      quiet: true,
      config,
    });
    doc = DynamoDBDocumentClient.from(
      new DynamoDBClient(awsClientConfig({ AWS_REGION: hub.region, HUB_AWS_ENDPOINT: hub.awsEndpoint })),
    );
  }, 120_000);

  let doc: DynamoDBDocumentClient;
  const get = async (key: { pk: string; sk: string }) =>
    (await doc.send(new GetCommand({ TableName: hub.resources.tableName, Key: key }))).Item;

  afterAll(async () => {
    doc?.destroy();
    await hub?.stop();
    await admin?.close();
  });

  // how long the push takes is measured by `npm run bench` (BENCH_ONLY=outbound), not asserted here
  it('pushes B’s available-to-sell after an order on A, and ignores B’s echo of it', async () => {
    // Prepare: B's API credentials, B's listing of the SKU, 40 counted at WH-MAIN
    const cliEnv = {
      ...motoEnv(),
      HUB_TABLE_NAME: hub.resources.tableName,
      HUB_OUTBOUND_QUEUE_URL: hub.resources.outboundQueueUrl,
      HUB_INGEST_QUEUE_URL: hub.resources.ingestQueueUrl,
      HUB_INGEST_DLQ_URL: hub.resources.ingestDlqUrl,
      HUB_STAGE: `local-${prefix}`,
    };
    const print = () => undefined;
    await runCli(['connections', 'credentials', 'shop-b', '--token', TOKEN, '--base-url', admin.url], cliEnv, print);
    const sku = `PUSH-${randomUUID().slice(0, 8)}`;
    await runCli(['listings', 'map', 'shopify-b', `inventory_item:${ITEM}`, sku], cliEnv, print);
    // the mapping goes through the normalizer: B is pushed to once it has landed
    await waitFor('B’s listing of the SKU', async () =>
      (await get(keys.skuListing('shopify-b', sku, `inventory_item:${ITEM}`))) ? true : undefined,
    );
    const key = hub.config.apiKeys.find((k) => k.scopes.includes('admin'))!.key;
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const counted = await fetch(`${hub.url}/v1/stock/counts`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        channel: 'wms',
        counts: [{ sku, location: 'WH-MAIN', onHand: 40, asOf: systemClock().toISOString() }],
      }),
    });
    expect(counted.status).toBeLessThan(300);
    const level = `gid://shopify/InventoryItem/${ITEM}|gid://shopify/Location/${LOCATION}`;
    // Act: channel A (the demo Shopify store) sells 3
    const shopA = hub.config.connections.find((c) => c.id === 'demo-shop')!;
    const order = JSON.stringify({
      id: `${Date.now()}${Math.floor(Math.random() * 1e6)}`,
      name: '#3001',
      created_at: systemClock().toISOString(),
      updated_at: systemClock().toISOString(),
      currency: 'USD',
      total_price: '30.00',
      financial_status: 'paid',
      fulfillment_status: null,
      cancelled_at: null,
      location_id: null,
      line_items: [{ id: 88001, sku, quantity: 3, price: '10.00', variant_id: 1, product_id: 2 }],
    });
    const res = await shopifyWebhook(hub, 'demo-shop', shopA.secrets[0]!, 'orders/create', order);
    expect(res.status).toBe(202);

    // Assess: B lists 40 - 3 - 5, on its own API
    await waitFor('the order pushed to B', () => (admin.levels.get(level) === 32 ? true : undefined));

    // Act: B reports the level the hub just set (its inventory_levels/update), then A sells 1 more
    // the body is written by hand: the ids are beyond 2^53 and must reach the hub digit for digit
    const echoBody = `{"inventory_item_id":${ITEM},"location_id":${LOCATION},"available":32,"updated_at":"${systemClock().toISOString()}","admin_graphql_api_id":"gid://shopify/InventoryLevel/${LOCATION}?inventory_item_id=${ITEM}"}`;
    expect((await shopifyWebhook(hub, 'shop-b', shopBSecret, 'inventory_levels/update', echoBody)).status).toBe(202);
    const more = JSON.parse(order) as { id: string; name: string; line_items: { id: number; quantity: number }[] };
    more.id = `${more.id}9`;
    more.name = '#3002';
    more.line_items[0]!.id = 88002;
    more.line_items[0]!.quantity = 1;
    expect(
      (await shopifyWebhook(hub, 'demo-shop', shopA.secrets[0]!, 'orders/create', JSON.stringify(more))).status,
    ).toBe(202);

    // Assess: the echo was not a count (applied, 32 available would have set on-hand to 36 or 35);
    // the later sale is pushed as usual
    await waitFor('the second order pushed to B', () => (admin.levels.get(level) === 31 ? true : undefined));
    const stock = (await (await fetch(`${hub.url}/v1/stock/${sku}`, { headers: auth })).json()) as {
      locations: { location: string; onHand: number; reserved: number; available: number }[];
    };
    expect(stock.locations.find((l) => l.location === 'WH-MAIN')).toMatchObject({
      onHand: 40,
      reserved: 4,
      available: 36,
    });
  }, 90_000);
});

function shopifyWebhook(hub: LocalHub, connection: string, secret: string, topic: string, body: string) {
  return fetch(`${hub.url}/webhooks/${connection}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'),
      'x-shopify-topic': topic,
      'x-shopify-event-id': randomUUID(),
      'x-shopify-webhook-id': randomUUID(),
      'x-shopify-shop-domain': `${connection}.myshopify.com`,
      'x-shopify-api-version': '2025-10',
      'x-shopify-triggered-at': systemClock().toISOString(),
    },
    body,
  });
}
