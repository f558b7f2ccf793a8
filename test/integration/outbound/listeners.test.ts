import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoChannelPort, putChannel } from '#shared/aws/channels.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { dynamoListeners } from '#shared/aws/listeners.ts';
import { dynamoOutboundStore, type DynamoOutboundStore } from '#shared/aws/outbound-store.ts';
import { changesOf, countedOf } from '#shared/aws/stream-records.ts';
import { documentClient, type DynamoTable } from '#shared/aws/table.ts';
import type { OrderUpserted, StockLevelSet } from '#shared/domain/events.ts';
import { ATS_SK } from '#shared/inventory/stock-events.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { createSubscription } from '#shared/outbound/subscriptions.ts';
import { foldStreamBatch, type FoldDeps } from '#shared/stream/fold-apply.ts';
import { EVENT_BASE, orderUpserted } from '#test/fixtures/events.ts';
import { TEST_NOW } from '#test/support/clock.ts';
import { RecordingPublisher } from '#test/support/recording-publisher.ts';
import { motoEnv } from '../../support/aws.ts';
import { readWholeStream } from '../../support/fold.ts';
import { freshTable } from '../../support/table.ts';

/**
 * The fold's listeners check on DynamoDB (moto through the real SDK): the `SUBS` partition's active
 * subscriptions and the channels configured with `push`, asked at most once per cache age of the
 * fold's clock. Each test has its own table, so its listeners start from none.
 */
const CACHE_SECONDS = 30;

const order = (orderId: string, sku: string, quantity: number): OrderUpserted =>
  orderUpserted({
    orderId,
    total: { amount: '10.00', currency: 'USD' },
    lines: [{ lineId: 'l1', sku, quantity, unitPrice: { amount: '10.00', currency: 'USD' }, locationId: 'WH1' }],
  });
const count = (sku: string, quantity: number): StockLevelSet => ({
  ...EVENT_BASE,
  deliveryId: `count-${sku}`,
  type: 'StockLevelSet',
  sku,
  locationId: 'WH1',
  quantity,
  bucket: 'on_hand',
  asOf: '2026-03-01T09:00:00.000Z',
});

interface Hub {
  table: DynamoTable;
  tableName: string;
  doc: DynamoDBDocumentClient;
  store: DynamoOutboundStore;
  publisher: RecordingPublisher;
  /** the fold's clock: tests move it past the cache age */
  clock: { ms: number };
  /** folds the stream records not folded yet, shard by shard, as the fold function would */
  fold(): Promise<number>;
  drop(): Promise<void>;
}

async function hub(): Promise<Hub> {
  const t = await freshTable('listeners');
  const doc = documentClient(awsClientConfig(motoEnv()));
  const clock = { ms: Date.parse(TEST_NOW) };
  const now = () => clock.ms;
  const publisher = new RecordingPublisher();
  const deps: FoldDeps = {
    table: t.table,
    rollupZone: async () => 'UTC',
    now,
    channels: dynamoChannelPort(doc, t.tableName, { now, maxAgeSeconds: 0 }),
    publisher,
    listeners: dynamoListeners(doc, t.tableName, { now, maxAgeSeconds: CACHE_SECONDS }),
  };
  const folded = new Map<string, number>();
  return {
    table: t.table,
    tableName: t.tableName,
    doc,
    store: dynamoOutboundStore(doc, t.tableName, { now, subscriptionsMaxAgeSeconds: 0 }),
    publisher,
    clock,
    async fold() {
      let events = 0;
      for (const { shardId, records } of await readWholeStream(t.tableName)) {
        const fresh = records.slice(folded.get(shardId) ?? 0);
        folded.set(shardId, records.length);
        const r = await foldStreamBatch(deps, shardId, changesOf({ Records: fresh }), countedOf({ Records: fresh }));
        events += r.events;
      }
      return events;
    },
    drop: async () => {
      doc.destroy();
      await t.drop();
    },
  };
}

const at = () => new Date(Date.parse(TEST_NOW));

describe('the fold derives stock-change events only when something listens (DynamoDB)', () => {
  let h: Hub;
  beforeAll(async () => {
    h = await hub();
  });
  afterAll(async () => {
    await h?.drop();
  });

  it('with no subscription and no pushed channel: no ATS# item, nothing published', async () => {
    // Prepare
    await applyEvent(h.table, count('A', 10), at);
    await applyEvent(h.table, order('o1', 'A', 2), at);

    // Act
    const events = await h.fold();

    // Assess
    expect(events).toBe(0);
    expect(h.publisher.calls).toHaveLength(0);
    expect(await h.table.get({ pk: 'SKU#A', sk: ATS_SK })).toBeUndefined();
    expect(await h.table.get({ pk: 'SKU#A', sk: 'LOC#WH1' })).toMatchObject({ reserved: 2, available: 8 });
  });

  it('a subscription created: events flow once the cache age has passed, with the value as it stands', async () => {
    // Prepare: a subscription; the next order is folded within the cache age of the last answer
    const sub = createSubscription(
      { url: 'https://erp.example.com/hooks/stock', events: ['stock.available.changed'] },
      at(),
    );
    await h.store.putSubscription(sub);
    await applyEvent(h.table, order('o2', 'A', 1), at);
    expect(await h.fold()).toBe(0);

    // Act: the cache age passes; one more order
    h.clock.ms += CACHE_SECONDS * 1000;
    await applyEvent(h.table, order('o3', 'A', 3), at);
    const events = await h.fold();

    // Assess: 10 - 6 = 4, version 1 (nothing was emitted before)
    expect(events).toBeGreaterThan(0);
    expect(h.publisher.events.filter((e) => e.type === 'stock.available.changed').map((e) => e.data)).toEqual([
      { channel: 'shop', sku: 'A', availableToSell: 4, version: 1 },
    ]);
    expect(await h.table.get({ pk: 'SKU#A', sk: ATS_SK })).toMatchObject({ ch: { shop: { q: 4, n: 1 } } });
  });

  it('a disabled or removed subscription is not a listener', async () => {
    // Prepare: the subscription above disabled (as after persistent failures)
    const [sub] = await h.store.listSubscriptions();
    await h.store.disable(sub!.id, 'HTTP 500 eight times', at());
    h.clock.ms += CACHE_SECONDS * 1000;
    const before = h.publisher.calls.length;

    // Act
    await applyEvent(h.table, order('o4', 'A', 1), at);
    const events = await h.fold();
    await h.store.removeSubscription(sub!.id);
    h.clock.ms += CACHE_SECONDS * 1000;
    await applyEvent(h.table, order('o5', 'A', 1), at);
    const afterRemoval = await h.fold();

    // Assess: stock still folded, nothing derived, the emitted value left as it was
    expect(events + afterRemoval).toBe(0);
    expect(h.publisher.calls).toHaveLength(before);
    expect(await h.table.get({ pk: 'SKU#A', sk: 'LOC#WH1' })).toMatchObject({ reserved: 8, available: 2 });
    expect(await h.table.get({ pk: 'SKU#A', sk: ATS_SK })).toMatchObject({ ch: { shop: { q: 4, n: 1 } } });
  });

  it('a channel with pushes enabled: events flow again once the cache age has passed, the version continuing', async () => {
    // Prepare
    await putChannel(h.doc, h.tableName, { channel: 'shop-b', push: { connection: 'shop-b' } }, at());
    h.clock.ms += CACHE_SECONDS * 1000;

    // Act
    await applyEvent(h.table, order('o6', 'A', 1), at);
    await h.fold();

    // Assess: the current 1 for every listed channel; shop's version after its last (1)
    const last = h.publisher.calls.at(-1)!;
    expect(
      last
        .filter((e) => e.type === 'stock.available.changed')
        .map((e) => e.data)
        .sort((a, b) => (a.channel < b.channel ? -1 : 1)),
    ).toEqual([
      { channel: 'shop', sku: 'A', availableToSell: 1, version: 2 },
      { channel: 'shop-b', sku: 'A', availableToSell: 1, version: 1 },
    ]);
  });
});
