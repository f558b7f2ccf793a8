import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adapt } from '#shared/adapters/index.ts';
import type { Delivery } from '#shared/domain/delivery.ts';
import { squareClient } from '#shared/hydrate/square-client.ts';
import {
  hydrateMessage,
  IN_FLIGHT_MAX_MS,
  StaleReadError,
  type HydrateDeps,
  type HydrationMessage,
} from '#shared/hydrate/hydrate.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { keys } from '#shared/table/keys.ts';
import { normalizeMessage, type NormalizeDeps } from '#shared/normalize/normalize.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { foldMemory } from '../../../bench/memory-fold.ts';
import { deliveryFor, payload } from '#test/fixtures/payloads.ts';
import { fixedClock, TEST_NOW } from '../../support/clock.ts';
import { fakeSquare, squareOrder, type FakeSquare } from '../../support/fake-senders.ts';

const ORDER_ID = 'eA3vssLHKJrv9H0IdJCM3gNqfdcZY';
const LOCATION = 'L8GWV4NH3TQ2J';
const VARIATION = 'W62UWFY35CWMYGVWK6TWJDNI';
const now = fixedClock();

/** The Square order.created / order.updated fixture at `version`, as ingest would queue it. */
function webhook(version: number): Delivery {
  const body = payload('square', version === 1 ? 'order-created' : 'order-updated') as Record<string, any>;
  const key = version === 1 ? 'order_created' : 'order_updated';
  body.event_id = `evt-${version}`;
  body.data.object[key].version = version;
  body.data.object[key].updated_at = new Date(Date.parse('2026-03-02T16:00:00.000Z') + version * 1000).toISOString();
  return deliveryFor('square', version === 1 ? 'order.created' : 'order.updated', body, {
    deliveryId: `dlv-${version}`,
    receivedAt: TEST_NOW,
  });
}

describe('hydration of a Square order, on the memory table', () => {
  let api: FakeSquare;
  let table: MemoryTable;
  let queued: HydrationMessage[];
  beforeAll(async () => {
    api = await fakeSquare({ token: 'sq-token' });
  });
  afterAll(() => api.close());
  beforeEach(async () => {
    api.orders.clear();
    api.requests.length = 0;
    table = new MemoryTable();
    queued = [];
    await applyEvent(
      table,
      {
        channel: 'square-main',
        source: 'hub',
        deliveryId: 'map',
        occurredAt: TEST_NOW,
        type: 'ListingMapped',
        externalId: VARIATION,
        sku: 'MUG-WHT',
        at: TEST_NOW,
      },
      now,
    );
  });

  const queue = { send: async (m: HydrationMessage) => void queued.push(m) };
  const channels = { list: async () => [] };
  const normalizeDeps = (clock = now): NormalizeDeps => ({
    table,
    adapt,
    loadBody: async (d) => Buffer.from(d.body.kind === 'inline' ? d.body.data : '', 'utf8'),
    channels,
    now: clock,
    hydration: queue,
  });
  const hydrateDeps = (): HydrateDeps => ({
    table,
    queue,
    channels,
    now,
    clientFor: async () =>
      squareClient({ fetch, credentials: { accessToken: 'sq-token', baseUrl: api.url }, now: () => now().getTime() }),
  });
  const order = (version: number, over: Record<string, unknown> = {}) =>
    squareOrder({
      id: ORDER_ID,
      location_id: LOCATION,
      version,
      created_at: '2026-03-02T15:58:10.000Z',
      updated_at: new Date(Date.parse('2026-03-02T16:00:00.000Z') + version * 1000).toISOString(),
      ...over,
    });
  async function drain(): Promise<unknown[]> {
    const outcomes = [];
    while (queued.length > 0) outcomes.push(await hydrateMessage(JSON.stringify(queued.shift()), hydrateDeps()));
    return outcomes;
  }

  it('turns an order.created webhook into a fetched order whose lines are reserved after the fold', async () => {
    // Prepare
    api.orders.set(ORDER_ID, order(1));
    await normalizeMessage(JSON.stringify(webhook(1)), normalizeDeps());

    // Act
    const outcomes = await drain();
    await foldMemory(table, { nowMs: now().getTime() });

    // Assess
    expect(outcomes).toEqual([{ status: 'hydrated', orderId: ORDER_ID, applied: 1, requeued: false }]);
    expect(JSON.parse(api.requests[0]!.body)).toEqual({ order_ids: [ORDER_ID], location_id: LOCATION });
    const stored = await table.get(keys.order('square-main', ORDER_ID));
    expect(stored).toMatchObject({
      state: { status: 'processing', version: { seq: 1 }, lines: [{ sku: 'MUG-WHT', qty: 2, location: LOCATION }] },
    });
    expect(await table.get(keys.balance('MUG-WHT', LOCATION))).toMatchObject({ reserved: 2 });
    expect(await table.get(keys.hydration('square-main', 'order', ORDER_ID))).toMatchObject({
      fetchedVersion: { seq: 1 },
      outcome: 'fetched',
    });
  });

  it('fetches a burst of three webhooks for one order once', async () => {
    // Prepare
    api.orders.set(ORDER_ID, order(3));

    // Act
    for (const v of [1, 2, 3]) await normalizeMessage(JSON.stringify(webhook(v)), normalizeDeps());
    const outcomes = await drain();

    // Assess
    expect(api.requests).toHaveLength(1);
    expect(outcomes).toEqual([{ status: 'hydrated', orderId: ORDER_ID, applied: 1, requeued: false }]);
  });

  it('fetches again when a newer webhook arrives while the fetch is in flight', async () => {
    // Prepare: v1 queued; v2 arrives before the fetch runs, v3 once it has read the item
    api.orders.set(ORDER_ID, order(2));
    await normalizeMessage(JSON.stringify(webhook(1)), normalizeDeps());
    const first = queued.shift()!;
    const deps = hydrateDeps();
    const slow: HydrateDeps = {
      ...deps,
      clientFor: async (m) => {
        const c = await deps.clientFor(m);
        return {
          fetchOrder: async (r) => {
            const out = await c.fetchOrder(r);
            await normalizeMessage(JSON.stringify(webhook(3)), normalizeDeps());
            return out;
          },
        };
      },
    };

    // Act
    const out = await hydrateMessage(JSON.stringify(first), slow);
    api.orders.set(
      ORDER_ID,
      order(3, { line_items: [{ uid: 'line-1', catalog_object_id: VARIATION, quantity: '5' }] }),
    );
    const later = await drain();

    // Assess: the webhook seen during the fetch queued exactly one more, which brought version 3
    expect(out).toMatchObject({ status: 'hydrated', requeued: true });
    expect(later).toEqual([{ status: 'hydrated', orderId: ORDER_ID, applied: 1, requeued: false }]);
    expect(await table.get(keys.order('square-main', ORDER_ID))).toMatchObject({
      state: { version: { seq: 3 }, lines: [{ qty: 5 }] },
    });
  });

  it('lets a repeated fetch message and a lagging older answer change nothing', async () => {
    // Prepare: version 3 fetched and applied; then webhook 4 arrives, but the sender still answers version 2
    api.orders.set(
      ORDER_ID,
      order(3, { line_items: [{ uid: 'line-1', catalog_object_id: VARIATION, quantity: '5' }] }),
    );
    await normalizeMessage(JSON.stringify(webhook(3)), normalizeDeps());
    await drain();
    const before = await table.get(keys.order('square-main', ORDER_ID));
    const repeated = JSON.stringify({
      v: 1,
      connectionId: 'square-main',
      channel: 'square-main',
      source: 'square',
      entity: 'order',
      externalId: ORDER_ID,
    });

    // Act
    const out = await hydrateMessage(repeated, hydrateDeps());
    api.orders.set(ORDER_ID, order(2));
    await normalizeMessage(JSON.stringify(webhook(4)), normalizeDeps());
    const lagging = await hydrateMessage(JSON.stringify(queued.shift()), hydrateDeps()).catch((e: unknown) => e);

    // Assess: the repeat fetches nothing; the lagging answer is retried later, not applied
    expect(out).toEqual({ status: 'skipped', orderId: ORDER_ID, reason: 'already fetched' });
    expect(api.requests).toHaveLength(2);
    expect(lagging).toBeInstanceOf(StaleReadError);
    expect(await table.get(keys.order('square-main', ORDER_ID))).toEqual(before);
  });

  it('applies an older order without changing the stored newer one', async () => {
    // Prepare: version 3 applied
    api.orders.set(
      ORDER_ID,
      order(3, { line_items: [{ uid: 'line-1', catalog_object_id: VARIATION, quantity: '5' }] }),
    );
    await normalizeMessage(JSON.stringify(webhook(3)), normalizeDeps());
    await drain();
    const before = await table.get(keys.order('square-main', ORDER_ID));
    // BigCommerce-like: versions without seq cannot be told stale from the answer, only by the apply
    await table.write([
      {
        kind: 'put',
        item: {
          ...(await table.get(keys.hydration('square-main', 'order', ORDER_ID)))!,
          fetchedVersion: { at: '2000-01-01T00:00:00.000Z' },
          fetchedDeliveryId: 'an-earlier-delivery',
          version: { at: '2026-03-02T16:00:03.000Z' },
        },
      },
    ]);
    api.orders.set(ORDER_ID, order(2));

    // Act
    const out = await hydrateMessage(
      JSON.stringify({
        v: 1,
        connectionId: 'square-main',
        channel: 'square-main',
        source: 'square',
        entity: 'order',
        externalId: ORDER_ID,
      }),
      hydrateDeps(),
    );

    // Assess
    expect(out).toEqual({ status: 'hydrated', orderId: ORDER_ID, applied: 0, requeued: false });
    expect(await table.get(keys.order('square-main', ORDER_ID))).toEqual(before);
  });

  it('records an order the sender no longer has and applies nothing', async () => {
    // Prepare
    await normalizeMessage(JSON.stringify(webhook(1)), normalizeDeps());

    // Act
    const outcomes = await drain();

    // Assess
    expect(outcomes).toEqual([{ status: 'not-found', orderId: ORDER_ID, requeued: false }]);
    expect(await table.get(keys.order('square-main', ORDER_ID))).toBeUndefined();
    expect(await table.get(keys.hydration('square-main', 'order', ORDER_ID))).toMatchObject({ outcome: 'not-found' });
  });

  it('sends again for a webhook once a queued fetch has been lost for longer than the in-flight window', async () => {
    // Prepare: the first message is lost (never processed)
    await normalizeMessage(JSON.stringify(webhook(1)), normalizeDeps());
    queued.length = 0;
    await normalizeMessage(JSON.stringify(webhook(2)), normalizeDeps());
    const within = queued.length;
    const later = fixedClock(new Date(Date.parse(TEST_NOW) + IN_FLIGHT_MAX_MS + 1).toISOString());

    // Act
    await normalizeMessage(JSON.stringify(webhook(3)), normalizeDeps(later));

    // Assess
    expect(within).toBe(0);
    expect(queued).toHaveLength(1);
  });
});
