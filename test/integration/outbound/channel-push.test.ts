import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiCredentialsStore } from '#shared/aws/api-credentials.ts';
import { dynamoChannelPush } from '#shared/aws/channel-push.ts';
import { clearChannelCache, dynamoChannelPort, putChannel, putChannelConnection } from '#shared/aws/channels.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { dynamoOutboundStore } from '#shared/aws/outbound-store.ts';
import { documentClient } from '#shared/aws/table.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { handleOutboundMessage, type OutboundDeps, type OutboundMessage } from '#shared/outbound/deliver.ts';
import type { StockAvailableChanged } from '#shared/outbound/events.ts';
import { keys } from '#shared/table/keys.ts';
import { EVENT_BASE } from '#test/fixtures/events.ts';
import { fixedClock, fixedMsClock, TEST_NOW } from '../../support/clock.ts';
import { motoEnv } from '../../support/aws.ts';
import { fakeShopifyAdmin, type FakeShopifyAdmin } from '../../support/fake-shopify-admin.ts';
import { freshTable } from '../../support/table.ts';

const TOKEN = 'shpat_push_test';
const now = fixedClock(TEST_NOW);
const avail = (sku: string, availableToSell: number, version: number): StockAvailableChanged => ({
  type: 'stock.available.changed',
  id: `avail:shop-b:${sku}:${version}`,
  at: TEST_NOW,
  data: { channel: 'shop-b', sku, availableToSell, version },
});
const level = (item: string) => `gid://shopify/InventoryItem/${item}|gid://shopify/Location/655441491`;

let tbl: Awaited<ReturnType<typeof freshTable>>;
let api: FakeShopifyAdmin;
const doc = documentClient(awsClientConfig(motoEnv()));

beforeAll(async () => {
  tbl = await freshTable('chpush');
  api = await fakeShopifyAdmin(TOKEN);
  clearChannelCache();
  await putChannel(
    doc,
    tbl.tableName,
    { channel: 'shop-b', locationMap: { '655441491': 'WH-1' }, push: { connection: 'conn-b' } },
    now(),
  );
  await putChannelConnection(
    doc,
    tbl.tableName,
    { channel: 'shop-b', connectionId: 'conn-b', source: 'shopify' },
    now(),
  );
  await putChannel(doc, tbl.tableName, { channel: 'shop-quiet', locationMap: { '1': 'WH-1' } }, now());
  for (const [externalId, sku] of [
    ['inventory_item:1001', 'SKU-1'],
    ['inventory_item:1002', 'SKU-2'],
    ['variant:2002', 'SKU-2'],
    ['inventory_item:1003', 'SKU-3'],
  ] as const)
    await applyEvent(
      tbl.table,
      { ...EVENT_BASE, channel: 'shop-b', type: 'ListingMapped', externalId, sku, at: '2026-03-01T09:00:00.000Z' },
      now,
    );
  // the listing moves to another SKU later: SKU-3 is no longer listed there
  await applyEvent(
    tbl.table,
    {
      ...EVENT_BASE,
      channel: 'shop-b',
      type: 'ListingMapped',
      externalId: 'inventory_item:1003',
      sku: 'SKU-4',
      at: '2026-03-02T09:00:00.000Z',
    },
    now,
  );
});
afterAll(async () => {
  await api.close();
  await tbl.drop();
});

function harness() {
  const queued: { message: OutboundMessage; delaySeconds: number }[] = [];
  const counted: string[] = [];
  const credentials: ApiCredentialsStore = {
    get: async () => ({ accessToken: TOKEN, baseUrl: api.url }),
    forget: () => undefined,
  };
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

describe('channel pushes from the outbound function', () => {
  it('sets the SKU’s listings at the channel’s location and records what was confirmed', async () => {
    const h = harness();
    await h.send([avail('SKU-1', 12, 4)]);
    expect(api.levels.get(level('1001'))).toBe(12);
    const rec = await doc.send(new GetCommand({ TableName: tbl.tableName, Key: keys.push('shop-b', 'SKU-1') }));
    expect(rec.Item).toMatchObject({ sent: 4, confirmed: 4, quantity: 12 });
    const pushed = await doc.send(
      new GetCommand({ TableName: tbl.tableName, Key: keys.pushed('shop-b', 'inventory_item:1001', '655441491') }),
    );
    expect(pushed.Item).toMatchObject({ quantity: 12, version: 4, pushedAt: Date.parse(TEST_NOW) });
    expect(h.counted).toContain('ChannelPushed');
  });

  it('never pushes an older version over a newer one, however they arrive', async () => {
    const h = harness();
    await h.send([avail('SKU-2', 7, 9)]);
    await h.send([avail('SKU-2', 30, 8)]);
    await h.send([avail('SKU-2', 7, 9)]);
    expect(api.levels.get(level('1002'))).toBe(7);
    expect(h.counted.filter((c) => c === 'ChannelPushSuperseded')).toHaveLength(2);
  });

  it('skips channels without push configured and listings mapped to another SKU since', async () => {
    const h = harness();
    const before = api.calls;
    await h.send([
      { ...avail('SKU-1', 3, 1), data: { channel: 'shop-quiet', sku: 'SKU-1', availableToSell: 3, version: 1 } },
      avail('SKU-3', 5, 1),
    ]);
    expect(api.calls).toBe(before);
    expect(h.queued).toEqual([]);
  });

  it('lists an oversold SKU at 0', async () => {
    const h = harness();
    await h.send([avail('SKU-1', -4, 6)]);
    expect(api.levels.get(level('1001'))).toBe(0);
  });

  it('waits out a 429 for its Retry-After without using up an attempt, then pushes', async () => {
    const h = harness();
    api.failNext('429');
    await h.send([avail('SKU-1', 21, 10)]);
    expect(h.queued).toHaveLength(1);
    expect(h.queued[0]!.delaySeconds).toBe(2);
    expect(h.queued[0]!.message).toMatchObject({ kind: 'push', attempt: 1 });
    const { message } = h.queued.shift()!;
    await handleOutboundMessage(JSON.stringify({ ...message, dueAt: Date.parse(TEST_NOW) }), h.deps);
    expect(api.levels.get(level('1001'))).toBe(21);
  });

  it('retries a failing channel on the schedule', async () => {
    const h = harness();
    api.failNext('500');
    await h.send([avail('SKU-1', 22, 11)]);
    expect(h.queued[0]!.message).toMatchObject({ kind: 'push', attempt: 2 });
    // the schedule's second attempt: about 5 s
    expect(h.queued[0]!.delaySeconds).toBe(5);
    const { message } = h.queued.shift()!;
    await handleOutboundMessage(JSON.stringify({ ...message, dueAt: Date.parse(TEST_NOW) }), h.deps);
    expect(api.levels.get(level('1001'))).toBe(22);
  });
});
