import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bigcommerceClient } from '#shared/hydrate/bigcommerce-client.ts';
import { ebayClient } from '#shared/hydrate/ebay-client.ts';
import {
  hydrateMessage,
  INVALID_FETCHED_ORDER,
  needsFetch,
  type HydrateDeps,
  type HydrationMessage,
} from '#shared/hydrate/hydrate.ts';
import { squareClient } from '#shared/hydrate/square-client.ts';
import type { OrderClient } from '#shared/hydrate/types.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { keys } from '#shared/table/keys.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { fixedClock, TEST_NOW } from '../../support/clock.ts';
import {
  bigcommerceOrder,
  ebayOrder,
  fakeBigCommerce,
  fakeEbay,
  fakeSquare,
  squareOrder,
  type FakeBigCommerce,
  type FakeEbay,
  type FakeSquare,
} from '../../support/fake-senders.ts';

const now = fixedClock();

interface Sender {
  source: string;
  orderId: string;
  /** stores a valid order, or (bad) one the hub cannot read, at the fake sender */
  store(bad: boolean): void;
  client(): OrderClient;
  /** what the quarantine message names */
  problem: RegExp;
}

describe('a fetched order the hub cannot read is quarantined, for each sender', () => {
  let square: FakeSquare;
  let bc: FakeBigCommerce;
  let ebay: FakeEbay;
  let table: MemoryTable;
  let queued: HydrationMessage[];
  beforeAll(async () => {
    square = await fakeSquare({ token: 'sq' });
    bc = await fakeBigCommerce({ token: 'bc', storeHash: 'k9x2z' });
    ebay = await fakeEbay({ clientId: 'cid', clientSecret: 'csecret', refreshToken: 'rt' });
  });
  afterAll(async () => {
    await Promise.all([square.close(), bc.close(), ebay.close()]);
  });
  beforeEach(() => {
    table = new MemoryTable();
    queued = [];
  });

  const senders: Sender[] = [
    {
      source: 'square',
      orderId: 'CAISENgvlJ6jLWAzERDzjyHVybY',
      // items sold by measure have fractional quantities, which the hub cannot reserve
      store: (bad) =>
        void square.orders.set(
          'CAISENgvlJ6jLWAzERDzjyHVybY',
          bad
            ? squareOrder({ line_items: [{ uid: 'l1', sku: 'COFFEE-BEANS', quantity: '1.5' }] })
            : squareOrder({ line_items: [{ uid: 'l1', sku: 'COFFEE-BEANS', quantity: '2' }] }),
        ),
      client: () =>
        squareClient({ fetch, credentials: { accessToken: 'sq', baseUrl: square.url }, now: () => now().getTime() }),
      problem: /line_items\.0\.quantity: expected a whole number of units/,
    },
    {
      source: 'bigcommerce',
      orderId: '118',
      store: (bad) => {
        const o = bigcommerceOrder({}, [
          { id: 9, order_id: 118, product_id: 77, sku: 'COFFEE-BEANS', quantity: 2, base_price: '9.0000' },
        ]);
        if (bad) delete (o.order as Record<string, unknown>).date_modified;
        bc.orders.set('118', o);
      },
      client: () =>
        bigcommerceClient({
          fetch,
          credentials: { accessToken: 'bc', storeHash: 'k9x2z', baseUrl: bc.url },
          now: () => now().getTime(),
        }),
      problem: /date_modified/,
    },
    {
      source: 'ebay',
      orderId: '12-11223-44556',
      store: (bad) => {
        const o = ebayOrder({
          lineItems: [
            {
              ...(ebayOrder().lineItems as Record<string, unknown>[])[0],
              sku: 'COFFEE-BEANS',
              quantity: bad ? '2' : 2,
            },
          ],
        });
        ebay.orders.set('12-11223-44556', o);
      },
      client: () =>
        ebayClient({
          fetch,
          credentials: { clientId: 'cid', clientSecret: 'csecret', refreshToken: 'rt', baseUrl: ebay.url },
          now: () => now().getTime(),
        }),
      problem: /lineItems\.0\.quantity/,
    },
  ];

  for (const s of senders) {
    it(`${s.source}: quarantines it with the reason instead of retrying, and a replay after the fix applies it`, async () => {
      // Prepare
      const channel = `${s.source}-main`;
      await applyEvent(
        table,
        {
          channel,
          source: s.source,
          deliveryId: 'dlv-1',
          occurredAt: TEST_NOW,
          type: 'HydrationPending',
          entity: 'order',
          externalId: s.orderId,
          version: { at: TEST_NOW },
        },
        now,
      );
      const deps: HydrateDeps = {
        table,
        queue: { send: async (m) => void queued.push(m) },
        channels: { list: async () => [] },
        now,
        clientFor: async () => s.client(),
      };
      const body = JSON.stringify({
        v: 1,
        connectionId: channel,
        channel,
        source: s.source,
        entity: 'order',
        externalId: s.orderId,
      } satisfies HydrationMessage);
      s.store(true);

      // Act
      const outcome = await hydrateMessage(body, deps);

      // Assess: acknowledged (no throw, so no retry and no DLQ), set aside with the reason
      expect(outcome).toMatchObject({
        status: 'quarantined',
        orderId: s.orderId,
        deliveryId: 'hydrate_dlv-1',
        reason: INVALID_FETCHED_ORDER,
      });
      expect((outcome as { message: string }).message).toMatch(s.problem);
      const at = now().toISOString();
      expect(await table.get(keys.quarantine(at.slice(0, 10), at, 'hydrate_dlv-1'))).toMatchObject({
        status: 'quarantined',
        reason: INVALID_FETCHED_ORDER,
        queue: 'hydrate',
        source: s.source,
        channel,
        externalId: s.orderId,
        message_body: body,
      });
      const pending = await table.get(keys.hydration(channel, 'order', s.orderId));
      expect(pending).toMatchObject({ outcome: 'quarantined' });
      expect(pending?.enqueuedAt).toBeUndefined();
      expect(needsFetch(pending!)).toBe(true);
      expect(await table.get(keys.order(channel, s.orderId))).toBeUndefined();

      // Act: the sender's order is fixed, and the quarantined message replayed
      s.store(false);
      const replayed = await hydrateMessage(body, deps);

      // Assess
      expect(replayed).toMatchObject({ status: 'hydrated', orderId: s.orderId, applied: 1 });
      expect(await table.get(keys.order(channel, s.orderId))).toMatchObject({
        state: { lines: [{ sku: 'COFFEE-BEANS', qty: 2 }] },
      });
    });
  }
});
