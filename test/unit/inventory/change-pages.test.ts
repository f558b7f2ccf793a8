import { describe, expect, it } from 'vitest';
import type { OrderUpserted, StockLevelSet } from '#shared/domain/events.ts';
import { applyFold } from '#shared/stream/fold-apply.ts';
import {
  decodeChangeRow,
  encodeChangeRow,
  FEED_RETENTION_DAYS,
  pageParts,
  type ChangeRow,
} from '#shared/inventory/change-pages.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { BALANCE_DIR_SHARDS, balanceDirPartition, keys } from '#shared/table/keys.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { pageOf } from '#shared/aws/stock-repo.ts';
import { readFeed } from '#shared/inventory/stock-read.ts';
import { EVENT_BASE, orderUpserted } from '#test/fixtures/events.ts';
import { apiKey, tableStockRead } from './support.ts';

const SHARD = 'shardId-00000001763900000000-abcdef01';
const NOW = Date.parse('2026-11-23T12:00:00Z');
const clock = () => new Date(NOW);

function order(orderId: string, quantity: number): OrderUpserted {
  return orderUpserted({
    orderId,
    total: { amount: '30.00', currency: 'USD' },
    lines: [{ lineId: 'l1', sku: 'A', quantity, unitPrice: { amount: '15.00', currency: 'USD' }, locationId: 'WH1' }],
  });
}
const count = (quantity: number, asOf: string): StockLevelSet => ({
  ...EVENT_BASE,
  type: 'StockLevelSet',
  sku: 'A',
  locationId: 'WH1',
  quantity,
  bucket: 'on_hand',
  asOf,
});

/** every change page part of the day of NOW, rows decoded */
async function pages(t: MemoryTable) {
  return (await t.queryBetween('CHG#2026-11-23', '', '~')).map(pageOf);
}

describe('change rows', () => {
  it('round-trip, a location or SKU holding "|" (stored before the key-part rule) included', () => {
    // Prepare
    const rows: ChangeRow[] = [
      {
        sku: 'MUG',
        location: 'WH-1',
        onHand: 10,
        reserved: 2,
        available: 8,
        rev: 7,
        updatedAt: '2026-11-23T12:00:00.000Z',
      },
      {
        sku: 'A|B',
        location: 'C|D',
        onHand: -1,
        reserved: 0,
        available: -1,
        rev: 1,
        updatedAt: '2026-11-23T12:00:00.000Z',
      },
    ];
    // Act
    const back = rows.map((r) => decodeChangeRow(encodeChangeRow(r)));
    // Assess
    expect(back).toEqual(rows);
    expect(encodeChangeRow(rows[0]!).length).toBeLessThan(60);
  });

  it.each([
    ['empty', ''],
    ['too few fields', '2026|1|2'],
    ['a number that is not one', 'T|x|1|1|1|1|LS'],
  ])('reads %s as no row', (_name, v) => {
    expect(decodeChangeRow(v)).toBeUndefined();
  });

  it('splits rows into parts under the byte bound, each row in one part', () => {
    // Prepare
    const encoded = Array.from({ length: 100 }, (_, i) => `row-${i}-${'x'.repeat(90)}`);
    // Act
    const parts = pageParts(encoded, 1024);
    // Assess
    expect(parts.flat()).toEqual(encoded);
    for (const p of parts) expect(p.join('').length).toBeLessThanOrEqual(1024);
  });
});

describe('applyFold: change pages and the balance directory', () => {
  it('lists the batch on one page that expires with the retention, and a retried batch writes the same page', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyEvent(t, order('o1', 2), clock);
    const { changes } = t.streamFrom(0);
    // Act: the batch, then the same batch again (Lambda hands a failed batch over again) a minute later
    await applyFold(t, SHARD, changes, 'UTC', NOW, () => NOW + 1000);
    await applyFold(t, SHARD, changes, 'UTC', NOW + 60_000, () => NOW + 61_000);
    // Assess: one page, its key from the first attempt, one row
    const stored = await t.queryBetween('CHG#2026-11-23', '', '~');
    expect(stored).toHaveLength(1);
    expect(String(stored[0]!.sk)).toMatch(/^2026-11-23T12:00:01\.000Z#shardId-/);
    expect(stored[0]!.ttl).toBe((NOW + 1000) / 1000 + FEED_RETENTION_DAYS * 86_400);
    expect(pageOf(stored[0]!).rows).toEqual([
      {
        sku: 'A',
        location: 'WH1',
        onHand: 0,
        reserved: 2,
        available: -2,
        rev: 1,
        updatedAt: '2026-11-23T12:00:01.000Z',
      },
    ]);
  });

  it('stamps the page anew when the attempt before stopped ahead of it, so no reader has passed it', async () => {
    // Prepare: the first attempt writes the balance, then the page write fails
    const t = new MemoryTable();
    await applyEvent(t, order('o1', 2), clock);
    const { changes } = t.streamFrom(0);
    const write = t.write.bind(t);
    let failPages = true;
    t.write = async (ops) => {
      if (failPages && ops.some((op) => op.kind === 'put' && String(op.item.pk).startsWith('CHG#')))
        throw new Error('throttled');
      return write(ops);
    };
    await expect(applyFold(t, SHARD, changes, 'UTC', NOW, () => NOW + 1000)).rejects.toThrow('throttled');
    failPages = false;
    // Act: Lambda hands the batch over again 30 s later
    await applyFold(t, SHARD, changes, 'UTC', NOW + 30_000, () => NOW + 31_000);
    // Assess: one page, stamped by the retry; its row the balance the first attempt wrote
    const stored = await t.queryBetween('CHG#2026-11-23', '', '~');
    expect(stored.map((p) => String(p.sk).slice(0, 24))).toEqual(['2026-11-23T12:00:31.000Z']);
    expect(pageOf(stored[0]!).rows).toEqual([
      expect.objectContaining({ rev: 1, updatedAt: '2026-11-23T12:00:01.000Z' }),
    ]);
  });

  it('writes the page of a batch holding only counts once, however often the batch is handed over', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyEvent(t, count(10, '2026-11-23T11:00:00.000Z'), clock);
    const counted = [{ sku: 'A', location: 'WH1', seq: '42' }];
    // Act
    await applyFold(t, SHARD, [], 'UTC', NOW, () => NOW + 1000, undefined, undefined, counted);
    await applyFold(t, SHARD, [], 'UTC', NOW, () => NOW + 9000, undefined, undefined, counted);
    // Assess
    const stored = await t.queryBetween('CHG#2026-11-23', '', '~');
    expect(stored).toHaveLength(1);
    expect(String(stored[0]!.sk).slice(0, 24)).toBe('2026-11-23T12:00:01.000Z');
  });

  it('lists a count normalize made and an order folded in the same batch once, with the newest rev', async () => {
    // Prepare: a count (rev 1), then an order's reservation folded on top (rev 2)
    const t = new MemoryTable();
    await applyEvent(t, count(10, '2026-11-23T11:00:00.000Z'), clock);
    const counted = await t.get(keys.balance('A', 'WH1'));
    await applyEvent(t, order('o1', 3), clock);
    // Act: the stream batch holds the count's record (with its new image) and the order's
    await applyFold(t, SHARD, t.streamFrom(0).changes, 'UTC', NOW, () => NOW, undefined, undefined, [
      {
        sku: 'A',
        location: 'WH1',
        seq: '1',
        row: {
          sku: 'A',
          location: 'WH1',
          onHand: 10,
          reserved: 0,
          available: 10,
          rev: Number(counted!.rev),
          updatedAt: String(counted!.updatedAt),
        },
      },
    ]);
    // Assess
    const rows = (await pages(t)).flatMap((p) => p.rows);
    expect(rows).toEqual([expect.objectContaining({ sku: 'A', rev: 2, onHand: 10, reserved: 3, available: 7 })]);
  });

  it('lists a count and an order folded in different batches on two pages, the feed serving the newest', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyEvent(t, order('o1', 3), clock);
    await applyFold(t, SHARD, t.streamFrom(0).changes, 'UTC', NOW, () => NOW + 1000);
    await applyEvent(t, count(10, '2026-11-23T11:00:00.000Z'), () => new Date(NOW + 2000));
    const after = (await t.get(keys.balance('A', 'WH1')))!;
    // Act: the count's batch (no order records)
    await applyFold(t, SHARD, [], 'UTC', NOW + 3000, () => NOW + 3000, undefined, undefined, [
      { sku: 'A', location: 'WH1', seq: '99999999999999999999' },
    ]);
    const feed = await readFeed(
      { stock: tableStockRead(t) },
      apiKey(),
      { updatedSince: new Date(NOW).toISOString() },
      { settleMs: 0, now: () => new Date(NOW + 10_000) },
    );
    // Assess: two pages; one answer with the balance once, at the count's rev
    expect((await pages(t)).map((p) => p.rows.map((r) => r.rev))).toEqual([[1], [2]]);
    expect(feed.items).toEqual([
      expect.objectContaining({ sku: 'A', rev: Number(after.rev), onHand: 10, available: 7 }),
    ]);
  });

  it('enters a balance the fold or a count creates in the balance directory, once', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyEvent(t, order('o1', 1), clock);
    await applyEvent(t, { ...count(5, '2026-11-23T11:00:00.000Z'), sku: 'B' }, clock);
    // Act
    await applyFold(t, SHARD, t.streamFrom(0).changes, 'UTC', NOW, () => NOW);
    await applyEvent(t, order('o2', 1), clock);
    await applyFold(t, SHARD, t.streamFrom(0).changes, 'UTC', NOW, () => NOW);
    // Assess
    const entries = [];
    for (let s = 0; s < BALANCE_DIR_SHARDS; s++)
      entries.push(...(await t.queryBetween(balanceDirPartition(s), '', '~')));
    expect(entries.map((e) => `${e.sku}@${e.location}`).sort()).toEqual(['A@WH1', 'B@WH1']);
  });
});
