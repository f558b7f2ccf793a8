import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { adapt } from '#shared/adapters/index.ts';
import type { ApiCredentialsStore } from '#shared/aws/api-credentials.ts';
import { dynamoChannelPush } from '#shared/aws/channel-push.ts';
import { clearChannelCache, dynamoChannelPort, putChannel, putChannelConnection } from '#shared/aws/channels.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { dynamoOutboundStore } from '#shared/aws/outbound-store.ts';
import { documentClient } from '#shared/aws/table.ts';
import type { Delivery } from '#shared/domain/delivery.ts';
import type { ApiCredentials } from '#shared/hydrate/types.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { normalizeMessage } from '#shared/normalize/normalize.ts';
import { handleOutboundMessage, type OutboundDeps, type OutboundMessage } from '#shared/outbound/deliver.ts';
import type { StockAvailableChanged } from '#shared/outbound/events.ts';
import { keys } from '#shared/table/keys.ts';
import { EVENT_BASE } from '#test/fixtures/events.ts';
import { deliveryFor, payload } from '#test/fixtures/payloads.ts';
import { fixedClock, fixedMsClock, TEST_NOW } from '../../support/clock.ts';
import { motoEnv } from '../../support/aws.ts';
import {
  fakeBigCommerceInventory,
  fakeSquareInventory,
  fakeWooCommerce,
  type FakeBigCommerceInventory,
  type FakeSquareInventory,
  type FakeWooCommerce,
} from '../../support/fake-channel-apis.ts';
import { freshTable } from '../../support/table.ts';

/**
 * The WooCommerce, Square and BigCommerce connectors driven by the outbound function on moto: the
 * channel's listings of the SKU, its location, the version claim, the confirmed PUSHED# records,
 * and the channel's inventory webhook echoing the push acknowledged instead of applied.
 */
const now = fixedClock(TEST_NOW);
const at = (offsetMs: number) => new Date(Date.parse(TEST_NOW) + offsetMs).toISOString();
const SQ_LOCATION = 'L8GWV4NH3TQ2J';
const SQ_VARIATION = 'FKPYM47ZBWJD3RQK7XEBN2QH';

let tbl: Awaited<ReturnType<typeof freshTable>>;
let woo: FakeWooCommerce;
let square: FakeSquareInventory;
let bc: FakeBigCommerceInventory;
const doc = documentClient(awsClientConfig(motoEnv()));

const avail = (channel: string, sku: string, availableToSell: number, version: number): StockAvailableChanged => ({
  type: 'stock.available.changed',
  id: `avail:${channel}:${sku}:${version}`,
  at: TEST_NOW,
  data: { channel, sku, availableToSell, version },
});

beforeAll(async () => {
  tbl = await freshTable('chconn');
  woo = await fakeWooCommerce({ key: 'ck_live', secret: 'cs_live' });
  square = await fakeSquareInventory({ token: 'sq-live' });
  bc = await fakeBigCommerceInventory({ token: 'bc-live', storeHash: 'k9x2z', quota: 100 });
  woo.products.set('530', 0);
  woo.products.set('22', 0);
  woo.products.set('23', 22);
  square.catalog.add(SQ_VARIATION);
  bc.items.add('product:179');
  bc.items.add('variant:4051');
  clearChannelCache();
  const channels = [
    { channel: 'woo-b', source: 'woocommerce', connectionId: 'woo-conn', locationMap: { default: 'WH-1' } },
    { channel: 'square-b', source: 'square', connectionId: 'sq-conn', locationMap: { [SQ_LOCATION]: 'WH-1' } },
    { channel: 'bc-b', source: 'bigcommerce', connectionId: 'bc-conn', locationMap: { default: 'WH-1' } },
  ] as const;
  for (const c of channels) {
    await putChannel(
      doc,
      tbl.tableName,
      { channel: c.channel, locationMap: { ...c.locationMap }, push: { connection: c.connectionId } },
      now(),
    );
    await putChannelConnection(
      doc,
      tbl.tableName,
      { channel: c.channel, connectionId: c.connectionId, source: c.source },
      now(),
    );
  }
  const listings: Array<[string, string, string]> = [
    ['woo-b', 'product:530', 'TOWEL-LIN-NAT'],
    ['woo-b', 'product:23', 'Bar3'],
    ['woo-b', 'variation:23', 'Bar3'],
    ['square-b', SQ_VARIATION, 'SKU-SQ'],
    ['bc-b', 'product:179', 'SKU-BC'],
    ['bc-b', 'variant:4051', 'SKU-BC'],
  ];
  for (const [channel, externalId, sku] of listings)
    await applyEvent(
      tbl.table,
      { ...EVENT_BASE, channel, type: 'ListingMapped', externalId, sku, at: '2026-03-01T09:00:00.000Z' },
      now,
    );
});
afterAll(async () => {
  await Promise.all([woo.close(), square.close(), bc.close()]);
  await tbl.drop();
});

function harness() {
  const queued: { message: OutboundMessage; delaySeconds: number }[] = [];
  const counted: string[] = [];
  const creds: Record<string, ApiCredentials> = {
    'woo-conn': { clientId: 'ck_live', clientSecret: 'cs_live', baseUrl: woo.url },
    'sq-conn': { accessToken: 'sq-live', baseUrl: square.url },
    'bc-conn': { accessToken: 'bc-live', storeHash: 'k9x2z', baseUrl: bc.url },
  };
  const credentials: ApiCredentialsStore = { get: async (id) => creds[id]!, forget: () => undefined };
  const deps: OutboundDeps = {
    store: dynamoOutboundStore(doc, tbl.tableName, { now: fixedMsClock(TEST_NOW) }),
    queue: { send: async (message, delaySeconds) => void queued.push({ message, delaySeconds }) },
    post: async () => ({ status: 200 }),
    channelOwners: async () => () => undefined,
    now,
    random: () => 0.5,
    count: (m) => void counted.push(m),
    channelPush: dynamoChannelPush(doc, tbl.tableName, {
      channels: dynamoChannelPort(doc, tbl.tableName, { maxAgeSeconds: 0, now: fixedMsClock(TEST_NOW) }),
      credentials,
      fetch,
      now: fixedMsClock(TEST_NOW),
    }),
  };
  const send = (events: StockAvailableChanged[]) =>
    handleOutboundMessage(JSON.stringify({ kind: 'events', events }), deps);
  return { deps, queued, counted, send };
}

const normalizeDeps = () => ({
  table: tbl.table,
  adapt,
  channels: dynamoChannelPort(doc, tbl.tableName, { maxAgeSeconds: 0, now: fixedMsClock(TEST_NOW) }),
  now,
  loadBody: async (d: Delivery) => Buffer.from(d.body.kind === 'inline' ? d.body.data : ''),
});

const pushedItem = async (channel: string, listing: string, location: string) =>
  (await doc.send(new GetCommand({ TableName: tbl.tableName, Key: keys.pushed(channel, listing, location) }))).Item;

describe('WooCommerce, Square and BigCommerce pushes from the outbound function', () => {
  it('WooCommerce: sets the product and the variation, records them, and recognises product.updated as the echo', async () => {
    const h = harness();
    await h.send([avail('woo-b', 'TOWEL-LIN-NAT', 12, 3), avail('woo-b', 'Bar3', 5, 2)]);
    expect(woo.levels.get('530|default')).toBe(12);
    expect(woo.levels.get('23|default')).toBe(5);
    expect(await pushedItem('woo-b', 'product:530', 'default')).toMatchObject({ quantity: 12, version: 3 });
    expect(await pushedItem('woo-b', 'variation:23', 'default')).toMatchObject({ quantity: 5, version: 2 });
    expect(h.counted.filter((c) => c === 'ChannelPushed')).toHaveLength(2);

    // product.updated as WooCommerce sends it after the push (test/fixtures/payloads/woocommerce/product-updated.json)
    const echo = {
      ...payload('woocommerce', 'product-updated'),
      stock_quantity: 12,
      date_modified_gmt: at(2000).slice(0, 19),
    };
    const d = deliveryFor('woocommerce', 'product.updated', echo, { channel: 'woo-b', connectionId: 'woo-conn' });
    // the count is dropped as the echo; the listing mapping the same delivery carries still applies (unchanged)
    const outcome = await normalizeMessage(JSON.stringify(d), normalizeDeps());
    expect(outcome).toMatchObject({ status: 'noop', events: 1 });
    // another quantity is a count of its own
    const count = deliveryFor(
      'woocommerce',
      'product.updated',
      { ...echo, stock_quantity: 40 },
      { channel: 'woo-b', connectionId: 'woo-conn' },
    );
    expect(await normalizeMessage(JSON.stringify(count), normalizeDeps())).toMatchObject({
      status: 'applied',
      events: 2,
    });
  });

  it('Square: a physical count at the Square location, and inventory.count.updated of it is the echo', async () => {
    const h = harness();
    await h.send([avail('square-b', 'SKU-SQ', 17, 4)]);
    expect(square.levels.get(`${SQ_VARIATION}|${SQ_LOCATION}`)).toBe(17);
    expect(await pushedItem('square-b', SQ_VARIATION, SQ_LOCATION)).toMatchObject({ quantity: 17, version: 4 });

    // test/fixtures/payloads/square/inventory-count-updated.json, its counts of the variation pushed
    const body = payload('square', 'inventory-count-updated');
    body.data.object.inventory_counts = body.data.object.inventory_counts
      .filter((c: { catalog_object_id: string }) => c.catalog_object_id === SQ_VARIATION)
      .map((c: Record<string, unknown>) => ({ ...c, calculated_at: at(1500) }));
    const d = deliveryFor('square', 'inventory.count.updated', body, { channel: 'square-b', connectionId: 'sq-conn' });
    expect(await normalizeMessage(JSON.stringify(d), normalizeDeps())).toMatchObject({
      status: 'ignored',
      topic: 'echo',
    });
  });

  it('BigCommerce: an absolute adjustment of product and variant at the default location; the inventory webhook echoes it', async () => {
    const h = harness();
    await h.send([avail('bc-b', 'SKU-BC', 64, 7)]);
    expect(bc.levels.get('product:179|1')).toBe(64);
    expect(bc.levels.get('variant:4051|1')).toBe(64);
    expect(await pushedItem('bc-b', 'product:179', 'default')).toMatchObject({ quantity: 64, version: 7 });

    // test/fixtures/payloads/bigcommerce/product-inventory-absolute.json, sent just after the push
    const body = { ...payload('bigcommerce', 'product-inventory-absolute'), created_at: Date.parse(at(3000)) / 1000 };
    const d = deliveryFor('bigcommerce', 'store/product/inventory/updated', body, {
      channel: 'bc-b',
      connectionId: 'bc-conn',
    });
    expect(await normalizeMessage(JSON.stringify(d), normalizeDeps())).toMatchObject({
      status: 'ignored',
      topic: 'echo',
    });
  });

  it('a rate limit waits what the channel asked; a refusal is counted, not retried; an older version is not pushed', async () => {
    const h = harness();
    woo.failNext({ status: 429, headers: { 'retry-after': '30' }, body: { code: 'too_many_requests' } });
    await h.send([avail('woo-b', 'TOWEL-LIN-NAT', 11, 4)]);
    expect(h.queued).toHaveLength(1);
    expect(h.queued[0]).toMatchObject({ delaySeconds: 30, message: { kind: 'push', attempt: 1 } });
    await handleOutboundMessage(JSON.stringify({ ...h.queued[0]!.message, dueAt: Date.parse(TEST_NOW) }), h.deps);
    expect(woo.levels.get('530|default')).toBe(11);

    bc.failNext({
      status: 429,
      headers: { 'x-rate-limit-time-reset-ms': '4200', 'x-rate-limit-requests-left': '0' },
      body: { status: 429, title: 'Too many requests' },
    });
    await h.send([avail('bc-b', 'SKU-BC', 60, 8)]);
    expect(h.queued.at(-1)).toMatchObject({ delaySeconds: 5, message: { kind: 'push', attempt: 1 } });

    square.catalog.delete(SQ_VARIATION);
    await h.send([avail('square-b', 'SKU-SQ', 3, 5)]);
    expect(h.counted).toContain('ChannelPushFailed');
    expect(h.queued).toHaveLength(2);
    square.catalog.add(SQ_VARIATION);

    await h.send([avail('square-b', 'SKU-SQ', 40, 3)]);
    expect(square.levels.get(`${SQ_VARIATION}|${SQ_LOCATION}`)).toBe(17);
    expect(h.counted).toContain('ChannelPushSuperseded');
  });
});
