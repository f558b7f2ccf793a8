import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrderUpserted, StockLevelSet } from '#shared/domain/events.ts';
import type { ChannelConfig } from '#shared/inventory/channel-config.ts';
import { ATS_SK } from '#shared/inventory/stock-events.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import type { StockChangeEvent } from '#shared/outbound/events.ts';
import { anyChannelPush, cachedListeners } from '#shared/outbound/listeners.ts';
import { foldStreamBatch, type FoldDeps } from '#shared/stream/fold-apply.ts';
import { keys } from '#shared/table/keys.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { EVENT_BASE, orderUpserted } from '#test/fixtures/events.ts';
import { TEST_NOW } from '#test/support/clock.ts';
import { RecordingPublisher } from '#test/support/recording-publisher.ts';

const SHARD = 'shardId-00000001763900000000-abcdef01';
const NOW = Date.parse(TEST_NOW);
const clock = () => new Date(NOW);

const CHANNELS: ChannelConfig[] = [
  { channel: 'amazon', allocation: {} },
  { channel: 'shop', allocation: { share: 0.5 } },
];

function order(orderId: string, quantity: number): OrderUpserted {
  return orderUpserted({
    orderId,
    total: { amount: '30.00', currency: 'USD' },
    lines: [{ lineId: 'l1', sku: 'A', quantity, unitPrice: { amount: '15.00', currency: 'USD' }, locationId: 'WH1' }],
  });
}
const count = (quantity: number): StockLevelSet => ({
  ...EVENT_BASE,
  type: 'StockLevelSet',
  sku: 'A',
  locationId: 'WH1',
  quantity,
  bucket: 'on_hand',
  asOf: '2026-03-01T09:00:00.000Z',
});

const available = (events: StockChangeEvent[]) =>
  events
    .filter((e) => e.type === 'stock.available.changed')
    .map((e) => ({ id: e.id, ...e.data }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));

/** A hub whose listeners the test switches on and off; the fold goes through foldStreamBatch as the function does. */
function hub() {
  const t = new MemoryTable();
  const publisher = new RecordingPublisher();
  const state = { listening: false, asked: 0 };
  const deps: FoldDeps = {
    table: t,
    rollupZone: async () => 'UTC',
    now: () => NOW,
    channels: { list: async () => CHANNELS },
    publisher,
    listeners: {
      any: async () => {
        state.asked += 1;
        return state.listening;
      },
    },
  };
  let position = 0;
  /** folds the stream's records from where the last call stopped (or `from`) as one batch */
  const fold = async (from?: number, limit?: number) => {
    const { changes, next } = t.streamFrom(from ?? position, limit);
    position = next;
    return foldStreamBatch(deps, SHARD, changes);
  };
  return { t, publisher, state, fold, position: () => position };
}

describe('the fold derives stock-change events only when something listens', () => {
  it('with nothing listening it folds stock and KPIs but reads no SKU, writes no ATS# item and publishes nothing', async () => {
    // Prepare
    const { t, publisher, fold } = hub();
    await applyEvent(t, count(20), clock);
    await applyEvent(t, order('o1', 2), clock);
    const queried: string[] = [];
    const queryBetween = t.queryBetween.bind(t);
    t.queryBetween = (pk, after, before) => (
      queried.push(`${pk} ${after}..${before}`), queryBetween(pk, after, before)
    );

    // Act
    const r = await fold();

    // Assess: the balance took the order; no event state, no publish
    expect(await t.get(keys.balance('A', 'WH1'))).toMatchObject({ onHand: 20, reserved: 2, available: 18 });
    expect(await t.get({ pk: 'SKU#A', sk: ATS_SK })).toBeUndefined();
    expect(publisher.calls).toHaveLength(0);
    expect(r.events).toBe(0);
    expect(r.balances).toBe(1);
    // the derivation's query of the SKU's emitted values, listed quantities and balances: not made
    expect(queried.filter((q) => q.startsWith('SKU#'))).toEqual([]);
  });

  it('when listeners appear, the next batch emits the current values, the versions continuing from the last emitted', async () => {
    // Prepare: a listener derives version 1 (18); it goes; two more orders are folded unheard
    const { t, publisher, state, fold } = hub();
    await applyEvent(t, count(20), clock);
    await applyEvent(t, order('o1', 2), clock);
    state.listening = true;
    await fold();
    const firstBalanceVersion = publisher.calls[0]!.find((e) => e.type === 'stock.balance.changed')!.data.version;
    state.listening = false;
    await applyEvent(t, order('o2', 3), clock);
    await fold();
    expect(publisher.calls).toHaveLength(1);
    expect((await t.get({ pk: 'SKU#A', sk: ATS_SK }))?.ch).toMatchObject({ amazon: { q: 18, n: 1 } });

    // Act: a listener again; one more order
    state.listening = true;
    await applyEvent(t, order('o3', 1), clock);
    await fold();

    // Assess: the value as it stands now (20 - 6 = 14) with the next version, never a lower one
    expect(publisher.calls).toHaveLength(2);
    expect(available(publisher.calls[1]!)).toEqual([
      { id: 'avail:amazon:A:2', channel: 'amazon', sku: 'A', availableToSell: 14, version: 2 },
      { id: 'avail:shop:A:2', channel: 'shop', sku: 'A', availableToSell: 7, version: 2 },
    ]);
    const balance = publisher.calls[1]!.find((e) => e.type === 'stock.balance.changed')!;
    expect(balance.data).toMatchObject({ onHand: 20, reserved: 6, available: 14 });
    expect(balance.data.version).toBeGreaterThan(firstBalanceVersion);
  });

  it('a retry that straddles a listener change never emits a wrong value or a lower version', async () => {
    // Prepare: listened to, the batch derives and its publish fails
    const { t, publisher, state, fold } = hub();
    await applyEvent(t, count(20), clock);
    state.listening = true;
    await fold();
    const position = t.streamFrom(0).next;
    await applyEvent(t, order('o1', 3), clock);
    publisher.failNext = true;
    await expect(fold(position)).rejects.toThrow('publish failed');

    // Act: the retry finds nothing listening, then one more retry finds a listener again
    state.listening = false;
    const unheard = await fold(position);
    state.listening = true;
    await fold(position);

    // Assess: the unheard retry published nothing; the heard one the batch's own value and version
    expect(unheard.events).toBe(0);
    expect(publisher.calls).toHaveLength(1);
    expect(available(publisher.calls[0]!)).toEqual([
      { id: 'avail:amazon:A:1', channel: 'amazon', sku: 'A', availableToSell: 17, version: 1 },
      { id: 'avail:shop:A:1', channel: 'shop', sku: 'A', availableToSell: 8, version: 1 },
    ]);
  });

  it('a batch first folded unheard and retried with a listener derives from the stock as it stands', async () => {
    // Prepare: the first attempt (nothing listening) folds the order, then the invocation dies
    const { t, publisher, state, fold } = hub();
    await applyEvent(t, count(20), clock);
    await applyEvent(t, order('o1', 4), clock);
    await fold(0);

    // Act: the retry comes to a container that sees a listener
    state.listening = true;
    await fold(0);

    // Assess: the order counted once, its value emitted once with version 1
    expect(await t.get(keys.balance('A', 'WH1'))).toMatchObject({ reserved: 4, available: 16 });
    expect(available(publisher.events)).toEqual([
      { id: 'avail:amazon:A:1', channel: 'amazon', sku: 'A', availableToSell: 16, version: 1 },
      { id: 'avail:shop:A:1', channel: 'shop', sku: 'A', availableToSell: 8, version: 1 },
    ]);
  });

  it('asks once per batch, and not at all for an empty one', async () => {
    const { t, state, fold } = hub();
    await fold();
    expect(state.asked).toBe(0);
    await applyEvent(t, count(20), clock);
    await applyEvent(t, order('o1', 1), clock);
    await fold();
    expect(state.asked).toBe(1);
  });
});

describe('listeners coming and going, batches failing and retried (property)', () => {
  it('never publishes two values under one id nor a lower version, and a listener ends with the stock as it stands', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            sku: fc.constantFrom('A', 'B'),
            quantity: fc.integer({ min: 1, max: 5 }),
            listening: fc.boolean(),
            publishFails: fc.boolean(),
            retryListening: fc.boolean(),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        async (steps) => {
          // Prepare: 100 of each SKU at WH1
          const { t, publisher, state, fold, position } = hub();
          for (const sku of ['A', 'B']) await applyEvent(t, { ...count(100), sku, deliveryId: `count-${sku}` }, clock);

          // Act: one order a batch; a failed publish is retried, perhaps under another answer
          let n = 0;
          const batch = async (sku: string, quantity: number) => {
            await applyEvent(
              t,
              orderUpserted({
                orderId: `o${++n}`,
                total: { amount: '1.00', currency: 'USD' },
                lines: [
                  { lineId: 'l1', sku, quantity, unitPrice: { amount: '1.00', currency: 'USD' }, locationId: 'WH1' },
                ],
              }),
              clock,
            );
            return position();
          };
          for (const step of steps) {
            const from = await batch(step.sku, step.quantity);
            state.listening = step.listening;
            publisher.failNext = step.publishFails;
            try {
              await fold();
            } catch {
              state.listening = step.retryListening;
              await fold(from);
            }
            publisher.failNext = false;
          }
          state.listening = true;
          for (const sku of ['A', 'B']) {
            await batch(sku, 1);
            await fold();
          }

          // Assess
          const byId = new Map<string, string>();
          const last = new Map<string, number>();
          for (const e of publisher.events) {
            const data = JSON.stringify(e.data);
            expect(byId.get(e.id) ?? data).toBe(data);
            byId.set(e.id, data);
            const subject =
              e.type === 'stock.available.changed'
                ? `${e.data.channel}:${e.data.sku}`
                : `${e.data.sku}:${e.data.location}`;
            expect(e.data.version).toBeGreaterThanOrEqual(last.get(subject) ?? 0);
            last.set(subject, e.data.version);
          }
          for (const sku of ['A', 'B']) {
            const balance = await t.get(keys.balance(sku, 'WH1'));
            const amazon = publisher.events.filter(
              (e) => e.type === 'stock.available.changed' && e.data.channel === 'amazon' && e.data.sku === sku,
            );
            expect(amazon.at(-1)?.data).toMatchObject({ availableToSell: balance!.available });
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('cachedListeners', () => {
  it('reuses its answer for the cache age of the clock it is given, then asks again', async () => {
    // Prepare
    let now = NOW;
    let answer = false;
    let asked = 0;
    const listeners = cachedListeners(async () => (asked++, answer), { now: () => now, maxAgeSeconds: 30 });

    // Act + Assess
    expect(await listeners.any()).toBe(false);
    answer = true;
    now += 29_999;
    expect(await listeners.any()).toBe(false);
    now += 1;
    expect(await listeners.any()).toBe(true);
    expect(asked).toBe(2);
  });

  it('asks every time with a cache age of 0, and again at once after a failure or a clock stepped back', async () => {
    // Prepare
    let now = NOW;
    let asked = 0;
    let fail = true;
    const check = async () => {
      asked += 1;
      if (fail) throw new Error('table unavailable');
      return true;
    };
    const cached = cachedListeners(check, { now: () => now, maxAgeSeconds: 30 });
    const uncached = cachedListeners(async () => (asked++, true), { now: () => now, maxAgeSeconds: 0 });

    // Act + Assess: a failed check fails the caller and is not kept
    await expect(cached.any()).rejects.toThrow('table unavailable');
    fail = false;
    await Promise.resolve();
    expect(await cached.any()).toBe(true);
    now -= 1000;
    expect(await cached.any()).toBe(true);
    expect(asked).toBe(3);
    await uncached.any();
    await uncached.any();
    expect(asked).toBe(5);
  });

  it('never keeps an answer longer than 60 s, whatever age it is given', async () => {
    let now = NOW;
    let answer = false;
    const listeners = cachedListeners(async () => answer, { now: () => now, maxAgeSeconds: 3600 });
    expect(await listeners.any()).toBe(false);
    answer = true;
    now += 60_000;
    expect(await listeners.any()).toBe(true);
  });
});

describe('anyChannelPush', () => {
  it('is true when a listed channel is configured with push', async () => {
    expect(await anyChannelPush({ list: async () => CHANNELS })).toBe(false);
    expect(
      await anyChannelPush({
        list: async () => [...CHANNELS, { channel: 'shop-b', allocation: {}, push: { connection: 'shop-b' } }],
      }),
    ).toBe(true);
  });
});
