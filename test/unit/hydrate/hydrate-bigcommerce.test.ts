import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adapt } from '#shared/adapters/index.ts';
import { bigcommerceClient } from '#shared/hydrate/bigcommerce-client.ts';
import { hydrateMessage, type HydrateDeps, type HydrationMessage } from '#shared/hydrate/hydrate.ts';
import { keys } from '#shared/table/keys.ts';
import { normalizeMessage, type NormalizeDeps } from '#shared/normalize/normalize.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { foldMemory } from '../../../bench/memory-fold.ts';
import { deliveryFor, payload } from '#test/fixtures/payloads.ts';
import { fixedClock, TEST_NOW } from '../../support/clock.ts';
import { bigcommerceOrder, fakeBigCommerce, type FakeBigCommerce } from '../../support/fake-senders.ts';

const now = fixedClock();

/** A BigCommerce order webhook for order 250 at `createdAt` (Unix seconds), as ingest queues it. */
function webhook(name: 'order-created' | 'order-status-updated', createdAt: number, id: string) {
  const body = payload('bigcommerce', name) as Record<string, any>;
  body.created_at = createdAt;
  body.hash = `hash-${id}`;
  return JSON.stringify(deliveryFor('bigcommerce', body.scope, body, { deliveryId: id, receivedAt: TEST_NOW }));
}

describe('hydration of a BigCommerce order, on the memory table', () => {
  let api: FakeBigCommerce;
  let table: MemoryTable;
  let queued: HydrationMessage[];
  beforeAll(async () => {
    api = await fakeBigCommerce({ token: 'bc-token', storeHash: 'k9x2z' });
  });
  afterAll(() => api.close());
  beforeEach(() => {
    api.orders.clear();
    api.requests.length = 0;
    table = new MemoryTable();
    queued = [];
  });

  const queue = { send: async (m: HydrationMessage) => void queued.push(m) };
  const channels = { list: async () => [] };
  const normalizeDeps: () => NormalizeDeps = () => ({
    table,
    adapt,
    loadBody: async (d) => Buffer.from(d.body.kind === 'inline' ? d.body.data : '', 'utf8'),
    channels,
    now,
    hydration: queue,
  });
  const hydrateDeps: () => HydrateDeps = () => ({
    table,
    queue,
    channels,
    now,
    clientFor: async () =>
      bigcommerceClient({
        fetch,
        credentials: { accessToken: 'bc-token', baseUrl: api.url, storeHash: 'k9x2z' },
        now: () => now().getTime(),
      }),
  });
  async function drain() {
    const out = [];
    while (queued.length > 0) out.push(await hydrateMessage(JSON.stringify(queued.shift()), hydrateDeps()));
    return out;
  }
  const reserved = async () => (await table.get(keys.balance('TEE-BLK-M', '*')))?.reserved;

  it('reserves a created order and releases it when a status 5 webhook brings the cancellation', async () => {
    // Prepare: the order is created and fetched
    api.orders.set(
      '250',
      bigcommerceOrder({
        id: 250,
        date_created: 'Mon, 02 Mar 2026 18:00:01 +0000',
        date_modified: 'Mon, 02 Mar 2026 18:00:01 +0000',
      }),
    );
    await normalizeMessage(webhook('order-created', 1772474401, 'd-created'), normalizeDeps());
    await drain();
    await foldMemory(table, { nowMs: now().getTime() });
    const whileOpen = await reserved();
    api.orders.set(
      '250',
      bigcommerceOrder({
        id: 250,
        status_id: 5,
        status: 'Cancelled',
        date_modified: 'Mon, 02 Mar 2026 19:00:00 +0000',
      }),
    );

    // Act
    await normalizeMessage(webhook('order-status-updated', 1772478000, 'd-cancelled'), normalizeDeps());
    const outcomes = await drain();
    await foldMemory(table, { nowMs: now().getTime() });

    // Assess
    expect(whileOpen).toBe(2);
    expect(outcomes).toEqual([{ status: 'hydrated', orderId: '250', applied: 2, requeued: false }]);
    expect(await table.get(keys.order('bigcommerce-main', '250'))).toMatchObject({
      state: { status: 'cancelled' },
      cancel: { at: '2026-03-02T19:00:00.000Z' },
    });
    expect(await reserved()).toBe(0);
  });

  it('fetches again for a second webhook of the same second that arrives while the first is being fetched', async () => {
    // Prepare: BigCommerce's webhook times are whole seconds, so the two cannot be told apart by time
    api.orders.set('250', bigcommerceOrder({ id: 250 }));
    await normalizeMessage(webhook('order-created', 1772474401, 'd-1'), normalizeDeps());
    const first = queued.shift()!;
    const deps = hydrateDeps();
    const racing: HydrateDeps = {
      ...deps,
      clientFor: async (m) => {
        const c = await deps.clientFor(m);
        return {
          fetchOrder: async (r) => {
            const out = await c.fetchOrder(r);
            await normalizeMessage(webhook('order-status-updated', 1772474401, 'd-2'), normalizeDeps());
            return out;
          },
        };
      },
    };

    // Act
    const out = await hydrateMessage(JSON.stringify(first), racing);
    const again = await drain();

    // Assess
    expect(out).toMatchObject({ status: 'hydrated', requeued: true });
    expect(again).toHaveLength(1);
    expect(api.requests.filter((r) => r.path.endsWith('/orders/250'))).toHaveLength(2);
  });
});
