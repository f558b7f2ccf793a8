import { describe, expect, it } from 'vitest';
import { changesOf, countedOf } from '#shared/aws/stream-records.ts';
import { applyKpiFold, foldStreamBatch, resolveRollupZone } from '#shared/stream/fold-apply.ts';
import { hourCountersOf, kpiOfOrderItem, planKpiFold, sumAbove } from '#shared/kpi/fold.ts';
import {
  padSeq,
  shardCreatedMs,
  staleWatermarks,
  watermarkAttr,
  type StreamChange,
} from '#shared/stream/watermarks.ts';
import { dayQueries, tileSpan } from '#shared/kpi/counters-read.ts';
import { keys } from '#shared/table/keys.ts';
import type { Item } from '#shared/table/port.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import type { StockChangeEvent } from '#shared/outbound/events.ts';
import { hourCounter } from '../../support/kpi.ts';

/** An order item as the normalizer stores it (only what the KPI contribution reads). */
function orderItem(
  over: { status?: string; qty?: number; cancelled?: boolean; createdAt?: string; currency?: string } = {},
): Item {
  const createdAt = over.createdAt ?? '2026-03-01T18:40:00.000Z';
  return {
    pk: 'ORDER#shop#o1',
    sk: 'META',
    type: 'order',
    channel: 'shop',
    orderId: 'o1',
    refunds: {},
    ...(over.cancelled ? { cancel: { at: '2026-03-01T19:00:00.000Z' } } : {}),
    state: {
      status: over.status ?? 'paid',
      rawStatus: {},
      createdAt,
      version: { at: createdAt },
      currency: over.currency ?? 'USD',
      lines: [{ lineId: 'l1', sku: 'A', qty: over.qty ?? 2, unitMinor: 500, location: 'WH1' }],
    },
  };
}

const SHARD = 'shardId-00000001763900000000-abcdef01';
const NOW = Date.parse('2026-11-23T12:00:00Z');

describe('planKpiFold', () => {
  it('turns an order change into hour, day and month deltas; days cut at the exact time in the rollup zone', () => {
    // Act: 18:40 UTC is 00:10 the next day in Kolkata (+5:30), though its UTC hour starts on the 1st there
    const plans = planKpiFold([{ seq: '5', newImage: orderItem() }], 'Asia/Kolkata');

    // Assess
    expect(plans.map((p) => p.key)).toEqual([
      keys.kpiHours('shop', '2026-03-01', 0),
      keys.kpiDay('shop', 'Asia/Kolkata', '2026-03-02'),
      keys.kpiMonth('shop', 'Asia/Kolkata', '2026-03'),
    ]);
    // the hour's figures go to its place in the UTC day's hour-counter item
    expect(plans.map((p) => p.changes.map((c) => c.prefix))).toEqual([['T18:'], [''], ['']]);
    for (const p of plans)
      expect(p.changes.map(({ prefix, ...c }) => c)).toEqual([
        { seq: padSeq('5'), delta: { orders: 1, units: 2, revenue: { USD: 1000 }, priced: { USD: 1 } } },
      ]);
  });

  it('folds the difference between old and new image, and leaves out changes the KPIs do not see', () => {
    // Act
    const plans = planKpiFold(
      [
        { seq: '1', oldImage: orderItem(), newImage: orderItem({ cancelled: true }) },
        { seq: '2', oldImage: orderItem({ status: 'paid' }), newImage: orderItem({ status: 'processing' }) },
        // an unchanged order that oversold a balance (the stock fold found it): only the oversell
        { seq: '3', oldImage: orderItem({ qty: 2 }), newImage: orderItem({ qty: 2 }) },
      ],
      'UTC',
      [],
      new Map([[padSeq('3'), 1]]),
    );

    // Assess
    expect(plans).toHaveLength(3);
    expect(plans[0]!.changes).toEqual([
      {
        seq: padSeq('1'),
        delta: { cancelled: 1, units: -2, revenue: { USD: -1000 }, priced: { USD: -1 } },
        prefix: 'T18:',
      },
      { seq: padSeq('3'), delta: { oversells: 1 }, prefix: 'T18:' },
    ]);
  });

  it('leaves out a record whose order item cannot be read, and folds the rest of the batch', () => {
    // Prepare
    const bad = orderItem({ createdAt: 'not a time' });
    const skipped: { seq: string; pk: string; error: string }[] = [];

    // Act
    const plans = planKpiFold(
      [
        { seq: '1', newImage: bad },
        { seq: '2', newImage: orderItem() },
      ],
      'UTC',
      skipped,
    );

    // Assess
    expect(skipped).toEqual([{ seq: '1', pk: 'ORDER#shop#o1', error: expect.stringMatching(/invalid time/i) }]);
    expect(plans.map((p) => p.changes.map((c) => c.seq))).toEqual([[padSeq('2')], [padSeq('2')], [padSeq('2')]]);
  });

  it('reads nothing from items that are not orders', () => {
    expect(kpiOfOrderItem({ pk: 'SKU#A', sk: 'LOC#WH1', type: 'balance' })).toBeUndefined();
    expect(
      planKpiFold(
        [{ seq: '1', newImage: { pk: 'ORDER#x', sk: 'META', type: 'order', channel: 'x', orderId: 'x', refunds: {} } }],
        'UTC',
      ),
    ).toEqual([]);
  });
});

describe('sumAbove and watermarks', () => {
  const plan = planKpiFold(
    [
      { seq: '10', newImage: orderItem() },
      { seq: '11', oldImage: orderItem(), newImage: orderItem({ qty: 5 }) },
    ],
    'UTC',
  )[0]!;

  it("sums only the changes above the watermark and reports the last one folded (an hour's figures under its prefix)", () => {
    expect(sumAbove(plan, undefined)).toEqual({
      adds: { 'T18:orders': 1, 'T18:units': 5, 'T18:revenue_USD': 2500, 'T18:priced_USD': 1 },
      lastSeq: padSeq('11'),
    });
    expect(sumAbove(plan, padSeq('10'))).toEqual({
      adds: { 'T18:units': 3, 'T18:revenue_USD': 1500 },
      lastSeq: padSeq('11'),
    });
    expect(sumAbove(plan, padSeq('11'))).toEqual({ adds: {} });
  });

  it('keeps the hours of one UTC day in one item: a batch touching several of its hours writes it once', async () => {
    // Prepare: orders at 10:xx and 18:xx of one day
    const t = new MemoryTable();
    const at10 = { ...orderItem({ createdAt: '2026-03-01T10:05:00.000Z' }), pk: 'ORDER#shop#o2', orderId: 'o2' };

    // Act
    const r = await applyKpiFold(
      t,
      SHARD,
      [
        { seq: '1', newImage: orderItem() },
        { seq: '2', newImage: at10 },
      ],
      'UTC',
      NOW,
    );

    // Assess: one hour-counter item (+ day and month rollups), read back as two hours
    expect(r.written).toBe(3);
    expect(
      hourCountersOf((await t.get(keys.kpiHours('shop', '2026-03-01', 0)))!).map((h) => [h.hour, h.orders]),
    ).toEqual([
      ['2026-03-01T10', 1],
      ['2026-03-01T18', 1],
    ]);
  });

  it('compares sequence numbers of different lengths by value', () => {
    expect(padSeq('9') < padSeq('10')).toBe(true);
    expect(padSeq('1100000000017454423009') < padSeq('1100000000017454423010')).toBe(true);
    expect(padSeq('9'.repeat(39)) < padSeq('9'.repeat(40))).toBe(true);
    expect(padSeq('9'.repeat(40))).toHaveLength(26);
    expect(() => padSeq('12a')).toThrow();
    expect(() => padSeq('1'.repeat(41))).toThrow();
  });

  it('drops watermarks of shards created more than two days ago, never the current one', () => {
    const old = 'shardId-00000001763500000000-00000001';
    const recent = 'shardId-00000001763890000000-00000002';
    const item = {
      [watermarkAttr(old)]: '1',
      [watermarkAttr(recent)]: '2',
      [watermarkAttr('odd-shard')]: '3',
      [watermarkAttr(SHARD)]: '4',
    };
    expect(shardCreatedMs(SHARD)).toBe(1763900000000);
    // compact, and distinct for shards created in the same millisecond
    expect(watermarkAttr(SHARD).length).toBeLessThan(20);
    expect(watermarkAttr(SHARD)).not.toBe(watermarkAttr(SHARD.replace('abcdef01', 'abcdef02')));
    expect(staleWatermarks(item, SHARD, NOW + 10 * 86_400_000)).toEqual([watermarkAttr(old), watermarkAttr(recent)]);
    expect(staleWatermarks(item, SHARD, Date.parse('2025-11-24T00:00:00Z'))).toEqual([watermarkAttr(old)]);
  });
});

describe('applyKpiFold on a table', () => {
  const changes: StreamChange[] = [
    { seq: '100', newImage: orderItem() },
    { seq: '101', oldImage: orderItem(), newImage: orderItem({ status: 'fulfilled' }) },
    { seq: '102', oldImage: orderItem({ status: 'fulfilled' }), newImage: orderItem({ status: 'fulfilled', qty: 3 }) },
  ];
  const hourItem = keys.kpiHours('shop', '2026-03-01', 0);
  const hour = { pk: hourItem.pk, sk: hourItem.sk, hour: '2026-03-01T18' };

  it('counts every change once when batches are handed over again, overlapping, or from their start', async () => {
    // Prepare
    const once = new MemoryTable();
    await applyKpiFold(once, SHARD, changes, 'UTC', NOW);
    const t = new MemoryTable();

    // Act
    await applyKpiFold(t, SHARD, changes.slice(0, 2), 'UTC', NOW);
    await applyKpiFold(t, SHARD, changes.slice(0, 2), 'UTC', NOW);
    await applyKpiFold(t, SHARD, changes.slice(1), 'UTC', NOW);
    const again = await applyKpiFold(t, SHARD, changes, 'UTC', NOW);

    // Assess
    expect(again.written).toBe(0);
    expect(await t.get(hourItem)).toEqual(await once.get(hourItem));
    expect(await t.get(hourItem)).toMatchObject({
      type: 'kpi-hours',
      channel: 'shop',
      day: '2026-03-01',
      [watermarkAttr(SHARD)]: padSeq('102'),
    });
    expect(await hourCounter(t, 'shop', hour.hour)).toEqual({
      type: 'kpi',
      channel: 'shop',
      hour: '2026-03-01T18',
      orders: 1,
      units: 3,
      revenue_USD: 1500,
      priced_USD: 1,
      fulfilled: 1,
    });
  });

  it('keeps a watermark per stream shard: the same sequence number from another shard is another record', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyKpiFold(t, SHARD, changes.slice(0, 1), 'UTC', NOW);

    // Act: a child shard's record of another order of the same hour
    const other = { ...orderItem(), pk: 'ORDER#shop#o2', orderId: 'o2' };
    await applyKpiFold(t, 'shardId-00000001763910000000-abcdef02', [{ seq: '100', newImage: other }], 'UTC', NOW);

    // Assess
    expect(await hourCounter(t, 'shop', hour.hour)).toMatchObject({ orders: 2, units: 4 });
  });

  it('removes stale watermarks when it writes a counter', async () => {
    // Prepare: a counter last touched by a shard of three days before
    const t = new MemoryTable();
    const oldShard = 'shardId-00000001763600000000-abcdef00';
    await applyKpiFold(t, oldShard, changes.slice(0, 1), 'UTC', NOW - 3 * 86_400_000);

    // Act
    await applyKpiFold(t, SHARD, changes.slice(1, 2), 'UTC', NOW);

    // Assess
    const item = (await t.get(hourItem))!;
    expect(Object.keys(item).filter((k) => k.startsWith('w_'))).toEqual([watermarkAttr(SHARD)]);
  });

  it('reads the order items of a Lambda stream event and nothing else', async () => {
    // Prepare
    const t = new MemoryTable();
    const record = (pk: string, seq: string) => ({
      eventName: 'INSERT' as const,
      dynamodb: {
        SequenceNumber: seq,
        Keys: { pk: { S: pk }, sk: { S: 'META' } },
        NewImage: { pk: { S: pk }, sk: { S: 'META' } },
      },
    });

    // Act
    const seen = changesOf({ Records: [record('ORDER#shop#o1', '7'), record('SKU#A', '8')] });
    const folded = await foldStreamBatch(
      {
        table: t,
        rollupZone: () => resolveRollupZone(t, 'Europe/Berlin'),
        now: () => NOW,
        channels: { list: async () => [] },
        publisher: { publish: async () => {} },
      },
      SHARD,
      [],
    );

    // Assess
    expect(seen).toEqual([{ seq: '7', newImage: { pk: 'ORDER#shop#o1', sk: 'META' } }]);
    expect(folded).toEqual({
      changes: 0,
      counters: 0,
      written: 0,
      balances: 0,
      ledgerRows: 0,
      pageRows: 0,
      oversells: 0,
      skipped: [],
      events: 0,
    });
    await expect(
      foldStreamBatch(
        {
          table: t,
          rollupZone: async () => 'UTC',
          now: () => NOW,
          channels: { list: async () => [] },
          publisher: { publish: async () => {} },
        },
        '',
        [],
      ),
    ).rejects.toThrow(/shardId/);
  });

  it('derives the stock-change events of a balance normalize counted, once, and not of its own writes', async () => {
    // Prepare: a count written as normalize writes it, and the same balance as the fold stamps it
    const t = new MemoryTable();
    await t.write([
      {
        kind: 'put',
        item: {
          ...keys.balance('A', 'WH'),
          type: 'balance',
          sku: 'A',
          location: 'WH',
          onHand: 9,
          reserved: 0,
          available: 9,
          rev: 1,
        },
      },
    ]);
    const balance = (by: string, seq: string) => ({
      eventName: 'MODIFY' as const,
      dynamodb: {
        SequenceNumber: seq,
        Keys: { pk: { S: 'SKU#A' }, sk: { S: 'LOC#WH' } },
        NewImage: {
          pk: { S: 'SKU#A' },
          sk: { S: 'LOC#WH' },
          type: { S: 'balance' },
          sku: { S: 'A' },
          location: { S: 'WH' },
          by: { S: by },
        },
      },
    });
    const published: (readonly StockChangeEvent[])[] = [];
    const deps = {
      table: t,
      rollupZone: async () => 'UTC',
      now: () => NOW,
      channels: { list: async () => [{ channel: 'partner', allocation: {} }] },
      publisher: {
        publish: async (e: readonly StockChangeEvent[]) => {
          published.push(e);
        },
      },
    };
    const event = { Records: [balance('count', '11'), balance('fold', '12')] };

    // Act: the batch, then its retry
    const counted = countedOf(event);
    const first = await foldStreamBatch(deps, SHARD, changesOf(event), counted);
    const retry = await foldStreamBatch(deps, SHARD, changesOf(event), counted);

    // Assess: only the count is taken; its events carry the same versions on the retry
    expect(counted).toEqual([{ sku: 'A', location: 'WH', seq: '11' }]);
    expect(first.events).toBe(2);
    expect(
      published[0]!.map((e) => [
        e.type,
        'available' in e.data ? e.data.available : e.data.availableToSell,
        e.data.version,
      ]),
    ).toEqual([
      ['stock.balance.changed', 9, 1],
      ['stock.available.changed', 9, 1],
    ]);
    expect(retry.events).toBe(2);
    expect(published[1]).toEqual(published[0]);
  });

  it('fixes the rollup zone with the first fold; a later zone does not change it', async () => {
    const t = new MemoryTable();
    expect(await resolveRollupZone(t, 'Europe/Berlin')).toBe('Europe/Berlin');
    expect(await resolveRollupZone(t, 'UTC')).toBe('Europe/Berlin');
  });
});

describe('tiling spans with rollups', () => {
  it('uses whole months inside a span and days around them', () => {
    expect(tileSpan({ from: '2025-05-01', to: '2026-04-30' }).months).toHaveLength(12);
    expect(tileSpan({ from: '2025-05-01', to: '2026-04-30' }).days).toEqual([]);
    expect(tileSpan({ from: '2024-05-01', to: '2025-04-30' })).toMatchObject({ days: [] });
    expect(tileSpan({ from: '2025-03-15', to: '2025-05-10' })).toEqual({
      months: ['2025-04'],
      days: [
        { from: '2025-03-15', to: '2025-03-31' },
        { from: '2025-05-01', to: '2025-05-10' },
      ],
    });
    expect(tileSpan({ from: '2025-02-03', to: '2025-02-27' })).toEqual({
      months: [],
      days: [{ from: '2025-02-03', to: '2025-02-27' }],
    });
    expect(tileSpan({ from: '2024-02-01', to: '2024-02-29' })).toEqual({ months: ['2024-02'], days: [] });
    expect(tileSpan({ from: '2025-12-20', to: '2026-01-31' })).toEqual({
      months: ['2026-01'],
      days: [{ from: '2025-12-20', to: '2025-12-31' }],
    });
  });

  it('merges day runs that touch and cuts them at year ends', () => {
    expect(
      dayQueries([
        { from: '2025-12-20', to: '2025-12-31' },
        { from: '2025-03-01', to: '2025-03-05' },
        { from: '2025-03-06', to: '2025-03-09' },
        { from: '2026-01-01', to: '2026-01-03' },
      ]),
    ).toEqual([
      { from: '2025-03-01', to: '2025-03-09' },
      { from: '2025-12-20', to: '2025-12-31' },
      { from: '2026-01-01', to: '2026-01-03' },
    ]);
  });
});
