import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHub, type LocalHub } from '#infra/local/hub.ts';
import { parseHubConfig } from '#infra/local/config.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { documentClient, DynamoTable } from '#shared/aws/table.ts';
import { listQuarantine } from '#shared/aws/quarantine.ts';
import type { Connection } from '#shared/domain/connection.ts';
import { keys } from '#shared/table/keys.ts';
import { signedRequest } from '#test/fixtures/signing.ts';
import { awsEndpoint, motoEnv, uniqueName } from '#test/support/aws.ts';

/**
 * Attacks a hostile sender, a buggy marketplace or a partner with a narrow connection would try,
 * through the whole local hub (HTTP, signature, queue, normalize, the table's stream, fold).
 */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const shopifyOrder = (id: number, sku: string, qty: number, cancelledAt: string | null = null) =>
  JSON.stringify({
    id,
    name: `#${id}`,
    created_at: '2026-01-15T10:00:00Z',
    updated_at: '2026-01-15T10:00:00Z',
    currency: 'USD',
    total_price: '10.00',
    financial_status: 'paid',
    fulfillment_status: null,
    cancelled_at: cancelledAt,
    line_items: [{ id: id * 10, sku, quantity: qty, price: '10.00', variant_id: 1 }],
  });

const count = (sku: string, location: string, onHand: number) =>
  JSON.stringify({ type: 'stock.set', timestamp: '2026-01-15T09:00:00Z', data: { sku, location, onHand } });

describe('hostile input through the local hub', () => {
  let hub: LocalHub;
  let table: DynamoTable;
  const conn = (id: string) => hub.config.connections.find((c) => c.id === id) as Connection;

  async function post(id: string, body: string, headers: Record<string, string> = {}): Promise<number> {
    const c = conn(id);
    const req = signedRequest(c.source, c, body, { headers });
    return (
      await fetch(`${hub.url}/webhooks/${id}`, { method: 'POST', headers: req.headers, body: new Uint8Array(req.body) })
    ).status;
  }
  const quarantined = (reason: string, saying: string) =>
    waitFor(`a ${reason} quarantine saying ${saying}`, async () => {
      const items = await listQuarantine(documentClient(awsClientConfig(motoEnv())), hub.resources.tableName, {
        days: 2,
        now: new Date(),
      });
      return items.find((q) => q.reason === reason && q.message.includes(saying));
    });

  beforeAll(async () => {
    const config = parseHubConfig(
      {
        connections: [
          { id: 'shop', source: 'shopify', channel: 'shop', secret: randomBytes(16).toString('hex') },
          {
            id: 'wms',
            source: 'standard-webhooks',
            channel: 'wms',
            secret: `whsec_${randomBytes(32).toString('base64')}`,
          },
          {
            id: 'dealer',
            source: 'standard-webhooks',
            channel: 'dealer',
            partner: 'acme',
            locations: ['WH-P'],
            secret: `whsec_${randomBytes(32).toString('base64')}`,
          },
        ],
        apiKeys: [],
        channels: [{ channel: 'shop', fulfilmentLocation: 'WH-1' }],
      },
      'hostile test config',
    );
    hub = await startLocalHub({
      port: 0,
      awsEndpoint: awsEndpoint(),
      prefix: uniqueName('hostile'),
      quiet: true,
      config,
    });
    table = new DynamoTable(documentClient(awsClientConfig(motoEnv())), hub.resources.tableName);
    expect(await post('wms', count('MUG', 'WH-1', 10))).toBe(202);
    expect(await post('wms', count('TEE', 'WH-1', 10))).toBe(202);
    await waitFor('the counts', async () =>
      (await table.get(keys.balance('TEE', 'WH-1')))?.onHand === 10 ? true : undefined,
    );
  }, 120_000);
  afterAll(async () => hub?.stop());

  it('an order with a 2,100-character SKU is quarantined, and the orders after it still reach stock', async () => {
    // Act
    expect(await post('shop', shopifyOrder(7001, 'X'.repeat(2100), 1), { 'x-shopify-topic': 'orders/create' })).toBe(
      202,
    );
    expect(await post('shop', shopifyOrder(7002, 'TEE', 2), { 'x-shopify-topic': 'orders/create' })).toBe(202);
    // Assess
    const q = await quarantined('invalid-key', 'at most 128 bytes');
    expect(q.message).toMatch(/lines\[0\]\.sku/);
    await waitFor('TEE reserved', async () =>
      (await table.get(keys.balance('TEE', 'WH-1')))?.reserved === 2 ? true : undefined,
    );
  });

  it('an order line "MUG|WH-1" never reserves MUG at WH-1', async () => {
    // Act
    expect(await post('shop', shopifyOrder(7003, 'MUG|WH-1', 3), { 'x-shopify-topic': 'orders/create' })).toBe(202);
    // Assess
    await quarantined('invalid-key', 'must not contain');
    expect(await table.get(keys.balance('MUG', 'WH-1'))).toMatchObject({ onHand: 10, reserved: 0 });
  });

  it('a partner connection counts only at its own locations', async () => {
    // Act
    expect(await post('dealer', count('MUG', 'WH-1', 0))).toBe(202);
    expect(await post('dealer', count('MUG', 'WH-P', 4))).toBe(202);
    // Assess
    await quarantined('forbidden-location', 'names location WH-1');
    await waitFor('the partner count', async () =>
      (await table.get(keys.balance('MUG', 'WH-P')))?.onHand === 4 ? true : undefined,
    );
    expect((await table.get(keys.balance('MUG', 'WH-1')))?.onHand).toBe(10);
  });

  it('a captured order body re-sent as orders/cancelled does not cancel it', async () => {
    // Prepare
    const body = shopifyOrder(7004, 'TEE', 1);
    expect(await post('shop', body, { 'x-shopify-topic': 'orders/create' })).toBe(202);
    await waitFor('the order', async () => (await table.get(keys.order('shop', '7004'))) ?? undefined);
    // Act
    expect(await post('shop', body, { 'x-shopify-topic': 'orders/cancelled' })).toBe(202);
    await new Promise((r) => setTimeout(r, 1500));
    // Assess
    const order = await table.get(keys.order('shop', '7004'));
    expect(order?.cancel).toBeUndefined();
    expect((order?.state as { status: string }).status).toBe('paid');
  });
});
