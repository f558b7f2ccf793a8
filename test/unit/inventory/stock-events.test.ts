import { describe, expect, it } from 'vitest';
import type { OrderUpserted, StockLevelSet } from '#shared/domain/events.ts';
import type { ChannelConfig } from '#shared/inventory/channel-config.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import type { StockChangeEvent } from '#shared/outbound/events.ts';
import { applyFold } from '#shared/stream/fold-apply.ts';
import { keys } from '#shared/table/keys.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { EVENT_BASE, orderUpserted } from '#test/fixtures/events.ts';
import { RecordingPublisher } from '#test/support/recording-publisher.ts';

const SHARD = 'shardId-00000001763900000000-abcdef01';
const NOW = Date.parse('2026-11-23T12:00:00Z');
const clock = () => new Date(NOW);
const msClock = () => NOW;

const CHANNELS: ChannelConfig[] = [
  { channel: 'amazon', allocation: {} },
  { channel: 'shop', allocation: { share: 0.5 } },
  { channel: 'walmart', allocation: { maxListed: 5 } },
];

function order(orderId: string, quantity: number, locationId = 'WH1'): OrderUpserted {
  return orderUpserted({
    orderId,
    total: { amount: '30.00', currency: 'USD' },
    lines: [{ lineId: 'l1', sku: 'A', quantity, unitPrice: { amount: '15.00', currency: 'USD' }, locationId }],
  });
}
const count = (quantity: number, location = 'WH1'): StockLevelSet => ({
  ...EVENT_BASE,
  type: 'StockLevelSet',
  sku: 'A',
  locationId: location,
  quantity,
  bucket: 'on_hand',
  asOf: '2026-03-01T09:00:00.000Z',
});

function setup() {
  const t = new MemoryTable();
  const publisher = new RecordingPublisher();
  const events = { channels: { list: async () => CHANNELS }, publisher };
  let position = 0;
  /** folds the stream's records from where the last call stopped (or `from`) as one batch */
  const fold = async (from?: number, limit?: number) => {
    const { changes, next } = t.streamFrom(from ?? position, limit);
    position = next;
    return applyFold(t, SHARD, changes, 'UTC', NOW, msClock, undefined, events);
  };
  return { t, publisher, fold };
}

const available = (events: StockChangeEvent[]) =>
  events
    .filter((e) => e.type === 'stock.available.changed')
    .map((e) => ({ id: e.id, ...e.data }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));

describe('stock-change events from the fold', () => {
  it('publishes, once per batch, the balances it changed and every channel’s available-to-sell after allocation', async () => {
    // Prepare: 20 on hand at WH1, a channel that reports listing A without any configuration
    const { t, publisher, fold } = setup();
    await applyEvent(t, count(20), clock);
    await t.write([
      {
        kind: 'put',
        item: { ...keys.listed('A', 'ebay'), channel: 'ebay', quantity: 3, asOf: '2026-03-01T00:00:00.000Z' },
      },
    ]);
    await applyEvent(t, order('o1', 2), clock);
    await applyEvent(t, order('o2', 4), clock);

    // Act: both orders in one batch
    const r = await fold();

    // Assess: one balance event (the balance as written, its rev as version), one per channel
    expect(publisher.calls).toHaveLength(1);
    const balance = await t.get(keys.balance('A', 'WH1'));
    const bal = publisher.events.filter((e) => e.type === 'stock.balance.changed');
    expect(bal).toEqual([
      {
        type: 'stock.balance.changed',
        id: `bal:A:WH1:${balance!.rev}`,
        at: new Date(NOW).toISOString(),
        data: { sku: 'A', location: 'WH1', onHand: 20, reserved: 6, available: 14, version: balance!.rev },
      },
    ]);
    expect(available(publisher.events)).toEqual([
      { id: 'avail:amazon:A:1', channel: 'amazon', sku: 'A', availableToSell: 14, version: 1 },
      { id: 'avail:ebay:A:1', channel: 'ebay', sku: 'A', availableToSell: 14, version: 1 },
      { id: 'avail:shop:A:1', channel: 'shop', sku: 'A', availableToSell: 7, version: 1 },
      { id: 'avail:walmart:A:1', channel: 'walmart', sku: 'A', availableToSell: 5, version: 1 },
    ]);
    expect(r.events).toBe(5);
  });

  it('emits a channel’s value again only when it changed, with the next version', async () => {
    // Prepare
    const { t, publisher, fold } = setup();
    await applyEvent(t, count(20), clock);
    await applyEvent(t, order('o1', 2), clock);
    await fold();
    await applyEvent(t, order('o2', 4), clock);

    // Act: 18 → 14 available; walmart stays capped at 5
    await fold();

    // Assess
    expect(publisher.calls).toHaveLength(2);
    expect(available(publisher.calls[1]!)).toEqual([
      { id: 'avail:amazon:A:2', channel: 'amazon', sku: 'A', availableToSell: 14, version: 2 },
      { id: 'avail:shop:A:2', channel: 'shop', sku: 'A', availableToSell: 7, version: 2 },
    ]);
    const versions = publisher.calls.map((c) => c.find((e) => e.type === 'stock.balance.changed')!.data.version);
    expect(versions[1]).toBeGreaterThan(versions[0]!);
  });

  it('a batch retried after its publish failed publishes the same ids and versions again', async () => {
    // Prepare
    const { t, publisher, fold } = setup();
    await applyEvent(t, count(20), clock);
    await fold();
    await applyEvent(t, order('o1', 3), clock);
    const position = t.streamFrom(0).next - 1;
    publisher.failNext = true;

    // Act: the publish fails after the balance writes committed; the stream hands the batch again
    await expect(fold(position)).rejects.toThrow('publish failed');
    await fold(position);
    await fold(position);

    // Assess: the same events each time (the second retry finds the batch published and re-emits it)
    expect(publisher.calls).toHaveLength(2);
    const ids = (c: StockChangeEvent[]) => c.map((e) => `${e.id}=${JSON.stringify(e.data)}`).sort();
    expect(ids(publisher.calls[0]!)).toEqual(ids(publisher.calls[1]!));
    expect(available(publisher.calls[0]!)).toEqual([
      { id: 'avail:amazon:A:1', channel: 'amazon', sku: 'A', availableToSell: 17, version: 1 },
      { id: 'avail:shop:A:1', channel: 'shop', sku: 'A', availableToSell: 8, version: 1 },
      { id: 'avail:walmart:A:1', channel: 'walmart', sku: 'A', availableToSell: 5, version: 1 },
    ]);
    expect(await t.get(keys.balance('A', 'WH1'))).toMatchObject({ reserved: 3, available: 17 });
  });

  it('never emits a lower version for a newer value: a stale retry publishes nothing for a superseded value', async () => {
    // Prepare: batch 1 derives 17; its publish fails; batch 2 (a later order) derives 15
    const { t, publisher, fold } = setup();
    await applyEvent(t, count(20), clock);
    await fold();
    const before = t.streamFrom(0).next;
    await applyEvent(t, order('o1', 3), clock);
    publisher.failNext = true;
    await expect(fold(before, 1)).rejects.toThrow('publish failed');
    await applyEvent(t, order('o2', 2), clock);
    await fold(before + 1, 1);

    // Act: batch 1 comes again
    await fold(before, 1);

    // Assess: the newer value (15) got the next version; batch 1's retry republished only what is
    // still its own (walmart's cap), nothing for the values batch 2 superseded
    expect(publisher.calls).toHaveLength(2);
    expect(available(publisher.calls[0]!)).toContainEqual({
      id: 'avail:amazon:A:2',
      channel: 'amazon',
      sku: 'A',
      availableToSell: 15,
      version: 2,
    });
    expect(available(publisher.calls[1]!)).toEqual([
      { id: 'avail:walmart:A:1', channel: 'walmart', sku: 'A', availableToSell: 5, version: 1 },
    ]);
  });

  it('holds reservations that named no location against every channel', async () => {
    // Prepare: two locations, an order that names none
    const { t, publisher, fold } = setup();
    await applyEvent(t, count(10, 'WH1'), clock);
    await applyEvent(t, { ...count(6, 'WH2'), deliveryId: 'd-wh2' }, clock);
    await applyEvent(
      t,
      orderUpserted({
        orderId: 'o9',
        total: { amount: '1.00', currency: 'USD' },
        lines: [{ lineId: 'l1', sku: 'A', quantity: 4 }],
      }),
      clock,
    );

    // Act
    await fold();

    // Assess: 16 in stock, 4 held for the unlocated order
    expect(available(publisher.events).find((e) => e.channel === 'amazon')).toMatchObject({ availableToSell: 12 });
  });
});
