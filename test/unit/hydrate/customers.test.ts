import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerHash } from '#shared/domain/customer-hash.ts';
import { bigcommerceClient } from '#shared/hydrate/bigcommerce-client.ts';
import { ebayClient } from '#shared/hydrate/ebay-client.ts';
import { hydrateMessage, type HydrateDeps, type HydrationMessage } from '#shared/hydrate/hydrate.ts';
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

/**
 * Hydrated orders carry their customer, hashed as the webhook adapters' are, so the repeat-customer
 * rate counts them (docs/kpis.md). The fields, from the senders' API references: Square Order
 * `customer_id`; BigCommerce v2 order `customer_id` (0 = a guest checkout) and
 * `billing_address.email`; eBay Fulfillment Order `buyer.username`.
 */
const SALT = 'hydrated-customers-salt-0123456789';
const now = fixedClock();

let square: FakeSquare;
let bc: FakeBigCommerce;
let ebay: FakeEbay;
const EBAY_CLIENT = { clientId: 'ClayCo-hub-PRD-1a2b', clientSecret: 'PRD-9f8e' };

beforeAll(async () => {
  square = await fakeSquare({ token: 'sq' });
  bc = await fakeBigCommerce({ token: 'bc', storeHash: 'k9x2z' });
  ebay = await fakeEbay({ ...EBAY_CLIENT, refreshToken: 'v^1.1#r' });
});
afterAll(async () => {
  await square.close();
  await bc.close();
  await ebay.close();
});

const clientOf: Record<string, () => OrderClient> = {
  square: () =>
    squareClient({ fetch, credentials: { accessToken: 'sq', baseUrl: square.url }, now: () => now().getTime() }),
  bigcommerce: () =>
    bigcommerceClient({
      fetch,
      credentials: { accessToken: 'bc', storeHash: 'k9x2z', baseUrl: bc.url },
      now: () => now().getTime(),
    }),
  ebay: () =>
    ebayClient({
      fetch,
      credentials: { ...EBAY_CLIENT, refreshToken: 'v^1.1#r', baseUrl: ebay.url },
      now: () => now().getTime(),
    }),
};

/** The order's thin webhook recorded, then its fetch: the stored order item. */
async function hydrate(table: MemoryTable, source: string, orderId: string, salt: string | undefined) {
  const channel = `${source}-main`;
  await applyEvent(
    table,
    {
      type: 'HydrationPending',
      channel,
      source,
      deliveryId: `dlv-${orderId}`,
      occurredAt: TEST_NOW,
      entity: 'order',
      externalId: orderId,
      version: { at: TEST_NOW },
    },
    now,
  );
  const msg: HydrationMessage = {
    v: 1,
    connectionId: `${source}-conn`,
    channel,
    source,
    entity: 'order',
    externalId: orderId,
  };
  const deps: HydrateDeps = {
    table,
    queue: { send: async () => undefined },
    channels: { list: async () => [] },
    now,
    clientFor: async () => clientOf[source]!(),
    ...(salt ? { customerSalt: salt } : {}),
  };
  const outcome = await hydrateMessage(JSON.stringify(msg), deps);
  expect(outcome).toMatchObject({ status: 'hydrated' });
  return (await table.get(keys.order(channel, orderId)))!;
}

const customerOf = (item: Record<string, unknown>) => (item.state as { customer?: string } | undefined)?.customer;

describe('customers of hydrated orders', () => {
  it('keeps a Square customer_id as its salted hash; two orders of one customer share it and mark the first', async () => {
    // Prepare
    const table = new MemoryTable();
    const customer = 'JDKYHBWT1D4F8MFH63DBMEN8Y4';
    square.orders.set(
      'SQ-FIRST',
      squareOrder({ id: 'SQ-FIRST', customer_id: customer, created_at: '2026-09-10T09:00:00.000Z' }),
    );
    square.orders.set(
      'SQ-SECOND',
      squareOrder({ id: 'SQ-SECOND', customer_id: customer, created_at: '2026-09-14T09:00:00.000Z' }),
    );

    // Act
    const second = await hydrate(table, 'square', 'SQ-SECOND', SALT);
    const first = await hydrate(table, 'square', 'SQ-FIRST', SALT);

    // Assess
    const hash = customerHash(SALT, `id:${customer}`);
    expect(customerOf(first)).toBe(hash);
    expect(customerOf(second)).toBe(hash);
    expect(JSON.stringify(first)).not.toContain(customer);
    // the customer's first order is the one created first, whatever the order of the fetches
    expect(await table.get(keys.customer('square-main', hash))).toMatchObject({
      first: '2026-09-10T09:00:00.000Z#SQ-FIRST',
    });
  });

  it("hashes a BigCommerce customer_id, a guest's (customer_id 0) billing email, and keeps a guest without one anonymous", async () => {
    // Prepare
    const table = new MemoryTable();
    const billing = (email: string) => ({
      first_name: 'Jane',
      last_name: 'Doe',
      company: '',
      street_1: '455 Main Street',
      street_2: '',
      city: 'Austin',
      state: 'Texas',
      zip: '78751',
      country: 'United States',
      country_iso2: 'US',
      phone: '',
      email,
      form_fields: [],
    });
    const registered = bigcommerceOrder({ id: 201, customer_id: 11, billing_address: billing('jane@example.com') });
    const guest = bigcommerceOrder({ id: 202, customer_id: 0, billing_address: billing('  Guest.Buyer@Example.com ') });
    const anonymous = bigcommerceOrder({ id: 203, customer_id: 0, billing_address: billing('') });
    for (const o of [registered, guest, anonymous]) bc.orders.set(String(o.order.id), o);

    // Act
    const byId = await hydrate(table, 'bigcommerce', '201', SALT);
    const byEmail = await hydrate(table, 'bigcommerce', '202', SALT);
    const none = await hydrate(table, 'bigcommerce', '203', SALT);

    // Assess
    expect(customerOf(byId)).toBe(customerHash(SALT, 'id:11'));
    expect(customerOf(byEmail)).toBe(customerHash(SALT, 'email:guest.buyer@example.com'));
    expect(customerOf(none)).toBeUndefined();
  });

  it("hashes an eBay order's buyer.username, and keeps no customer without a salt", async () => {
    // Prepare
    const table = new MemoryTable();
    ebay.orders.set('12-11223-44556', ebayOrder());
    ebay.orders.set('12-99887-66554', ebayOrder({ orderId: '12-99887-66554' }));

    // Act
    const salted = await hydrate(table, 'ebay', '12-11223-44556', SALT);
    const unsalted = await hydrate(table, 'ebay', '12-99887-66554', undefined);

    // Assess: the getOrder sample's buyer
    expect(customerOf(salted)).toBe(customerHash(SALT, 'id:j******n'));
    expect(customerOf(unsalted)).toBeUndefined();
  });
});
