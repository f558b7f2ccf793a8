import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '#shared/aws/config.ts';
import { hourBucket, keys } from '#shared/table/keys.ts';
import { startLocalHub, type LocalHub, type LocalHubStats } from '#infra/local/hub.ts';
import { ALL_SCOPES, parseHubConfig } from '#infra/local/config.ts';
import { awsEndpoint, uniqueName } from '#test/support/aws.ts';
import { payload } from '#test/fixtures/payloads.ts';
import { signedRequest, type SignedRequest } from '#test/fixtures/signing.ts';
import { hourCounter } from '#test/support/kpi.ts';

/**
 * Signed webhooks through the local hub (HTTP → ingest → SQS → poller → normalize → DynamoDB, and
 * the table's stream → fold → KPI counters), then the rows they leave: a partner's stock count, a
 * Shopify order that reserves against it, a sender retry that changes nothing, and the
 * cancellation that releases the reservation.
 *
 * Shopify order lines carry no location: the adapter takes the order's `location_id` for every
 * line (shared/adapters/shopify.adapter.ts), and the normalizer falls back to 'default' without one
 * (shared/normalize/order-state.ts). The orders here carry `location_id` WH1, the location the
 * partner counts, so the reservation lands on the same balance.
 */

const SKU = 'MUG-X-350';
const LOCATION = 'WH1';
const SHOP_CHANNEL = 'shopify-main';
const ORDER_ID = String(5_873_401_000_000 + Math.floor(Math.random() * 1e6));
const API_KEY = randomBytes(24).toString('hex');

/** Shopify's orders/create body from the fixture, trimmed to one line of SKU X (3 units) at WH1. */
function orderCreateBody(): string {
  const o = payload('shopify', 'order-create');
  o.id = Number(ORDER_ID);
  o.location_id = LOCATION;
  o.line_items = [
    { ...o.line_items[0], sku: SKU, quantity: 3, current_quantity: 3, fulfillable_quantity: 3, price: '19.90' },
  ];
  o.current_subtotal_price = o.subtotal_price = o.total_line_items_price = '59.70';
  o.current_total_tax = o.total_tax = '0.00';
  o.current_total_price = o.total_price = '59.70';
  return JSON.stringify(o);
}

/** The same order's orders/cancelled body (later updated_at, cancelled_at set). */
function orderCancelledBody(): string {
  const o = payload('shopify', 'order-cancelled');
  const created = JSON.parse(orderCreateBody());
  o.id = created.id;
  o.created_at = created.created_at;
  o.location_id = LOCATION;
  o.line_items = created.line_items;
  return JSON.stringify(o);
}

async function health(hub: LocalHub): Promise<LocalHubStats> {
  const res = await fetch(`${hub.url}/health`);
  if (!res.ok) throw new Error(`/health answered ${res.status}`);
  return (await res.json()) as LocalHubStats;
}

/** Waits (deadline, not a speed assertion) until normalize has finished `count` records in all. */
async function waitUntilHandled(hub: LocalHub, count: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = (await health(hub)).pollers.ingest!;
    if (s.deleted >= count) return;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms: normalize finished ${s.deleted} of ${count} deliveries (${JSON.stringify(s)})`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until normalize has finished `count` records and fold has folded what they wrote. */
async function waitUntilFolded(hub: LocalHub, count: number, timeoutMs = 60_000): Promise<void> {
  await waitUntilHandled(hub, count, timeoutMs);
  await hub.foldIdle({ timeoutMs });
}

describe('signed webhooks through the local hub become order, balance and KPI rows', () => {
  let hub: LocalHub;
  let doc: DynamoDBDocumentClient;
  let sent = 0;
  let orderCreate: SignedRequest;

  const post = async (
    connectionId: string,
    req: SignedRequest,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${hub.url}/webhooks/${connectionId}`, {
      method: 'POST',
      headers: req.headers,
      body: new Uint8Array(req.body),
    });
    if (res.status === 202) sent++;
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const get = async (key: { pk: string; sk: string }) =>
    (await doc.send(new GetCommand({ TableName: hub.resources.tableName, Key: key, ConsistentRead: true }))).Item;
  const orderRow = () => get(keys.order(SHOP_CHANNEL, ORDER_ID));
  const balanceRow = () => get(keys.balance(SKU, LOCATION));
  const hour = hourBucket(JSON.parse(orderCreateBody()).created_at);
  const kpiRow = () => hourCounter({ get }, SHOP_CHANNEL, hour);
  const stockApi = async () => {
    const res = await fetch(`${hub.url}/v1/stock/${SKU}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    return {
      status: res.status,
      body: (await res.json()) as { sku: string; available: number; locations: Array<Record<string, unknown>> },
    };
  };
  const shopify = () => hub.config.connections.find((c) => c.id === 'shop-main')!;

  beforeAll(async () => {
    const config = parseHubConfig({
      connections: [
        { id: 'shop-main', source: 'shopify', channel: SHOP_CHANNEL, secret: randomBytes(16).toString('hex') },
        {
          id: 'wms-partner',
          source: 'standard-webhooks',
          channel: 'dealer-wh',
          partner: 'dealer-wh',
          secret: `whsec_${randomBytes(24).toString('base64')}`,
        },
      ],
      apiKeys: [{ key: API_KEY, scopes: ALL_SCOPES, partner: null }],
    });
    hub = await startLocalHub({ port: 0, awsEndpoint: awsEndpoint(), prefix: uniqueName('rows'), quiet: true, config });
    doc = DynamoDBDocumentClient.from(
      new DynamoDBClient(awsClientConfig({ AWS_REGION: hub.region, HUB_AWS_ENDPOINT: hub.awsEndpoint })),
    );
  });

  afterAll(async () => {
    doc?.destroy();
    await hub?.stop();
  });

  it('a partner stock.set (hub format) sets the balance at WH1', async () => {
    // Prepare
    const partner = hub.config.connections.find((c) => c.id === 'wms-partner')!;
    const body = JSON.stringify({
      type: 'stock.set',
      timestamp: '2026-03-02T09:30:00Z',
      data: { sku: SKU, location: LOCATION, onHand: 10, asOf: '2026-03-02T09:29:41Z' },
    });

    // Act
    const res = await post(partner.id, signedRequest('standard-webhooks', partner, body));
    await waitUntilHandled(hub, sent);

    // Assess
    expect(res).toMatchObject({ status: 202, body: { deliveryId: expect.any(String) } });
    expect(await balanceRow()).toMatchObject({ sku: SKU, location: LOCATION, onHand: 10, reserved: 0, available: 10 });
  });

  it("a Shopify orders/create writes the order and reserves its units at WH1, and counts it in the hour's KPIs", async () => {
    // Prepare
    orderCreate = signedRequest('shopify', shopify(), orderCreateBody(), {
      headers: { 'x-shopify-topic': 'orders/create' },
    });

    // Act
    const res = await post('shop-main', orderCreate);
    await waitUntilFolded(hub, sent);

    // Assess
    expect(res.status).toBe(202);
    const order = await orderRow();
    expect(order).toMatchObject({
      pk: `ORDER#${SHOP_CHANNEL}#${ORDER_ID}`,
      type: 'order',
      channel: SHOP_CHANNEL,
      orderId: ORDER_ID,
      state: { status: 'paid', lines: [expect.objectContaining({ sku: SKU, qty: 3, location: LOCATION })] },
    });
    expect(order?.cancel).toBeUndefined();
    expect(await balanceRow()).toMatchObject({ onHand: 10, reserved: 3, available: 7 });
    expect(await kpiRow()).toMatchObject({
      type: 'kpi',
      channel: SHOP_CHANNEL,
      hour,
      orders: 1,
      units: 3,
      revenue_USD: 5970,
    });
    const api = await stockApi();
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({
      sku: SKU,
      available: 7,
      locations: [expect.objectContaining({ location: LOCATION, onHand: 10, reserved: 3, available: 7 })],
    });
  });

  it('the same orders/create again (a sender retry, same X-Shopify-Event-Id) is accepted and changes nothing', async () => {
    // Prepare
    const before = {
      order: await orderRow(),
      balance: await balanceRow(),
      kpi: await kpiRow(),
      api: (await stockApi()).body,
    };

    // Act
    const res = await post('shop-main', orderCreate);
    await waitUntilFolded(hub, sent);

    // Assess
    expect(res.status).toBe(202);
    const after = {
      order: await orderRow(),
      balance: await balanceRow(),
      kpi: await kpiRow(),
      api: (await stockApi()).body,
    };
    expect(after).toEqual(before);
    expect((await health(hub)).pollers.ingest).toMatchObject({ failures: 0, handlerErrors: 0 });
  });

  it('a Shopify orders/cancelled releases the reservation; the stock API shows the same numbers as the balance row', async () => {
    // Prepare
    const cancel = signedRequest('shopify', shopify(), orderCancelledBody(), {
      headers: { 'x-shopify-topic': 'orders/cancelled' },
    });

    // Act
    const res = await post('shop-main', cancel);
    await waitUntilFolded(hub, sent);

    // Assess
    expect(res.status).toBe(202);
    const order = await orderRow();
    expect(order).toMatchObject({
      state: { status: 'cancelled', cancelledAt: expect.any(String) },
      cancel: expect.anything(),
    });
    const balance = await balanceRow();
    expect(balance).toMatchObject({ onHand: 10, reserved: 0, available: 10 });
    expect(await kpiRow()).toMatchObject({ orders: 1, cancelled: 1, units: 0, revenue_USD: 0 });
    const api = await stockApi();
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({
      sku: SKU,
      available: balance!.available,
      locations: [
        {
          location: LOCATION,
          onHand: balance!.onHand,
          reserved: balance!.reserved,
          available: balance!.available,
          updatedAt: expect.any(String),
        },
      ],
    });
    expect((await health(hub)).pollers.ingest).toMatchObject({ failures: 0, handlerErrors: 0 });
    expect((await health(hub)).stream).toMatchObject({ failures: 0, pollErrors: 0 });
  });
});
