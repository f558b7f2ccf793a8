import { describe, expect, it } from 'vitest';
import type { OrderUpserted, StockLevelSet } from '#shared/domain/events.ts';
import { applyFold } from '#shared/kpi/fold-apply.ts';
import { padSeq, watermarkAttr } from '#shared/kpi/fold.ts';
import { appliedMovesAfter, balanceWrite, isApplied, MOVES_PER_ROW, planStockFold, readStockFold, UNAPPLIED_MAX_AGE_MS } from '#shared/inventory/stock-fold.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { keys } from '#shared/normalize/keys.ts';
import { MemoryTable } from '../../../bench/memory-table.ts';

const SHARD = 'shardId-00000001763900000000-abcdef01';
const NOW = Date.parse('2026-11-23T12:00:00Z');
const base = { channel: 'shop', source: 'shopify', deliveryId: 'd1', occurredAt: '2026-03-01T10:00:00.000Z' };

function order(over: Partial<OrderUpserted> = {}): OrderUpserted {
  return {
    ...base,
    type: 'OrderUpserted',
    orderId: 'o1',
    status: 'paid',
    rawStatus: {},
    createdAt: '2026-03-01T10:00:00.000Z',
    version: { at: '2026-03-01T10:00:00.000Z' },
    total: { amount: '30.00', currency: 'USD' },
    lines: [{ lineId: 'l1', sku: 'A', quantity: 2, unitPrice: { amount: '15.00', currency: 'USD' }, locationId: 'WH1' }],
    ...over,
  };
}
const shipped = (at = '2026-03-02T10:00:00.000Z') => order({ status: 'fulfilled', version: { at }, fulfilledAt: at });
const count = (quantity: number, asOf: string): StockLevelSet => ({ ...base, type: 'StockLevelSet', sku: 'A', locationId: 'WH1', quantity, bucket: 'on_hand', asOf });

async function numbers(t: MemoryTable) {
  const it = await t.get(keys.balance('A', 'WH1'));
  return it && { onHand: it.onHand, reserved: it.reserved, available: it.available };
}

describe('planStockFold', () => {
  it('turns each order change into its change of reserved units and on-hand movements per balance', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyEvent(t, order());
    await applyEvent(t, shipped());

    // Act
    const plans = planStockFold(t.streamFrom(0).changes);

    // Assess: created → 2 reserved; shipped → 2 released and 2 moved off hand at the ship time
    expect(plans).toHaveLength(1);
    expect(plans[0]!.key).toEqual(keys.balance('A', 'WH1'));
    expect(plans[0]!.changes.map(({ seq, ...c }) => c)).toEqual([
      { reserved: 2, moves: [], ref: 'shop#o1#r1' },
      { reserved: -2, moves: [{ sku: 'A', location: 'WH1', delta: -2, at: '2026-03-02T10:00:00.000Z', reason: 'order' }], ref: 'shop#o1#r2' },
    ]);
  });
});

describe('planStockFold: unreadable records', () => {
  it('leaves out a record whose order item cannot be read (reported once), and folds the rest of the batch', async () => {
    // Prepare: a shipped order whose ship time cannot be read, then a good order
    const t = new MemoryTable();
    await applyEvent(t, order({ orderId: 'o2', createdAt: '2026-03-01T11:00:00.000Z', version: { at: '2026-03-01T11:00:00.000Z' } }));
    const good = t.streamFrom(0).changes[0]!;
    const bad = structuredClone(good);
    bad.seq = String(BigInt(good.seq) - 1n);
    const state = bad.newImage!.state as Record<string, unknown>;
    Object.assign(state, { status: 'fulfilled', fulfilledAt: 'not a time', createdAt: 'not a time' });
    bad.newImage!.pk = 'ORDER#shop#bad';

    // Act
    const r = await applyFold(t, SHARD, [bad, good], 'UTC', NOW);

    // Assess
    expect(r.skipped).toEqual([{ seq: bad.seq, pk: 'ORDER#shop#bad', error: expect.stringMatching(/invalid time/i) }]);
    expect(await numbers(t)).toEqual({ onHand: 0, reserved: 2, available: -2 });
  });
});

describe('applyFold: stock', () => {
  it('normalizing an order writes only the order; the fold applies its stock effects once, however often it is handed the records', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyEvent(t, count(10, '2026-03-01T09:00:00.000Z'));
    const before = t.stats.writeRequests;
    await applyEvent(t, order());
    await applyEvent(t, shipped());
    const changes = t.streamFrom(0).changes;

    // Act: batches retried from their start, overlapping, and the whole stream again
    await applyFold(t, SHARD, changes.slice(0, 1), 'UTC', NOW);
    await applyFold(t, SHARD, changes.slice(0, 1), 'UTC', NOW);
    await applyFold(t, SHARD, changes, 'UTC', NOW);
    const again = await applyFold(t, SHARD, changes, 'UTC', NOW);

    // Assess
    expect(t.stats.writeRequests - before).toBeGreaterThanOrEqual(2);
    expect(again).toMatchObject({ balances: 0, ledgerRows: 0, written: 0 });
    expect(await numbers(t)).toEqual({ onHand: 8, reserved: 0, available: 8 });
    const range = keys.ledgerRange('A', 'WH1');
    const rows = await t.queryBetween(range.pk, range.prefix, `${range.prefix}~`);
    expect(rows.map((r) => r.moves)).toEqual([[{ delta: -2, at: '2026-03-02T10:00:00.000Z', reason: 'order', ref: 'shop#o1#r2' }]]);
  });

  it('stamps a balance with the time it is written, not the time its batch was planned (the feed trusts stamps to land within seconds)', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyEvent(t, order());

    // Act: a batch planned at NOW whose writes happen 7 s later
    await applyFold(t, SHARD, t.streamFrom(0).changes, 'UTC', NOW, () => NOW + 7000);

    // Assess
    const at = new Date(NOW + 7000).toISOString();
    expect(await t.get(keys.balance('A', 'WH1'))).toMatchObject({ updatedAt: at, feedSk: `${at}#A#WH1`, reserved: 2 });
  });

  it('a count landing while a fold is half-way counts only the movements the balance has taken in', async () => {
    // Prepare: the shipment's ledger row is written, the balance not yet (the fold failed in between)
    const t = new MemoryTable();
    await applyEvent(t, order());
    await applyFold(t, SHARD, t.streamFrom(0).changes, 'UTC', NOW);
    await applyEvent(t, shipped('2026-03-02T10:00:00.000Z'));
    const { changes } = t.streamFrom(1);
    const stock = await readStockFold(t, SHARD, planStockFold(changes), NOW);
    const half = stock.writes[0]!;
    for (const row of half.rows) await t.write([row]);

    // Act: a count from before the shipment, then the fold's retry
    await applyEvent(t, count(10, '2026-03-02T09:00:00.000Z'));
    const midway = await numbers(t);
    await applyFold(t, SHARD, changes, 'UTC', NOW);

    // Assess: the shipment after the count moves stock once — not in the count and again in the fold
    expect(midway).toEqual({ onHand: 10, reserved: 2, available: 8 });
    expect(await numbers(t)).toEqual({ onHand: 8, reserved: 0, available: 8 });
  });

  it('lists a batch\'s movements at a balance in one ledger row; a count after them counts each once, also when a retried batch listed some twice', async () => {
    // Prepare: two orders shipped, folded in one batch
    const t = new MemoryTable();
    await applyEvent(t, order());
    await applyEvent(t, order({ orderId: 'o2', lines: [{ lineId: 'l1', sku: 'A', quantity: 3, locationId: 'WH1' }] }));
    await applyEvent(t, shipped('2026-03-02T10:00:00.000Z'));
    await applyEvent(t, { ...shipped('2026-03-02T11:00:00.000Z'), orderId: 'o2', lines: [{ lineId: 'l1', sku: 'A', quantity: 3, locationId: 'WH1' }] });
    const changes = t.streamFrom(0).changes;
    // a first attempt that wrote its row for the first three changes, then failed before the balance
    const failed = (await readStockFold(t, SHARD, planStockFold(changes.slice(0, 3)), NOW)).writes[0]!;
    for (const row of failed.rows) await t.write([row]);
    await applyFold(t, SHARD, changes, 'UTC', NOW);
    const range = keys.ledgerRange('A', 'WH1');
    const rows = await t.queryBetween(range.pk, range.prefix, `${range.prefix}~`);

    // Act: a count from before both shipments
    await applyEvent(t, count(20, '2026-03-02T09:00:00.000Z'));

    // Assess: the retry's row lists both shipments, the failed attempt's row one of them again
    expect(rows.map((r) => (r.moves as unknown[]).length).sort()).toEqual([1, 2]);
    expect(await numbers(t)).toEqual({ onHand: 15, reserved: 0, available: 15 });
  });

  it('splits a flash sale\'s movements at one balance over rows of at most MOVES_PER_ROW', () => {
    // Prepare: MOVES_PER_ROW + 1 shipped orders of one SKU in one batch
    const changes = Array.from({ length: MOVES_PER_ROW + 1 }, (_, i) => ({
      seq: padSeq(String(100 + i)),
      reserved: 0,
      moves: [{ sku: 'A', location: 'WH1', delta: -1, at: `2026-03-02T10:00:${String(i % 60).padStart(2, '0')}.000Z`, reason: 'order' as const }],
      ref: `shop#o${i}#r1`,
    }));

    // Act
    const w = balanceWrite({ sku: 'A', location: 'WH1', key: keys.balance('A', 'WH1'), changes }, undefined, SHARD, NOW)!;

    // Assess: two rows with distinct keys, both applied by the one balance write
    const items = w.rows.map((r) => (r.kind === 'put' ? r.item : {}));
    expect(items.map((it) => (it.moves as unknown[]).length)).toEqual([MOVES_PER_ROW, 1]);
    expect(new Set(items.map((it) => it.sk)).size).toBe(2);
    expect(items.map((it) => it.seq)).toEqual([padSeq(String(100 + MOVES_PER_ROW)), padSeq(String(100 + MOVES_PER_ROW))]);
  });

  it('counts two movements of one order version with the same time, and leaves out only another row\'s copies', () => {
    // Prepare: two restocks of one order version at the same time, in a row and again in a retry's row
    const move = { delta: 1, at: '2026-03-02T10:00:00.000Z', reason: 'refund', ref: 'shop#o1#r3' };
    const bal = { [watermarkAttr(SHARD)]: padSeq('9') };
    const row = (seq: string) => ({ w: watermarkAttr(SHARD), seq: padSeq(seq), f: NOW.toString(36), moves: [move, move] });

    // Act + Assess
    expect(appliedMovesAfter([row('7')], bal, '2026-03-02T09:00:00.000Z', NOW)).toBe(2);
    expect(appliedMovesAfter([row('7'), row('8')], bal, '2026-03-02T09:00:00.000Z', NOW)).toBe(2);
    expect(appliedMovesAfter([row('7')], bal, '2026-03-02T10:00:00.000Z', NOW)).toBe(0);
  });

  it('a count after a folded shipment includes it; a count after the shipment time leaves it out', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyEvent(t, order());
    await applyEvent(t, shipped('2026-03-02T10:00:00.000Z'));
    await applyFold(t, SHARD, t.streamFrom(0).changes, 'UTC', NOW);

    // Act + Assess
    await applyEvent(t, count(10, '2026-03-02T09:00:00.000Z'));
    expect(await numbers(t)).toEqual({ onHand: 8, reserved: 0, available: 8 });
    await applyEvent(t, count(10, '2026-03-02T11:00:00.000Z'));
    expect(await numbers(t)).toEqual({ onHand: 10, reserved: 0, available: 10 });
  });

  it('counts an oversell once in the KPIs of the order that caused it, also when the batch is retried', async () => {
    // Prepare: 1 on hand, two orders of 2 and 1 units
    const t = new MemoryTable();
    await applyEvent(t, count(1, '2026-03-01T09:00:00.000Z'));
    await applyEvent(t, order());
    await applyEvent(t, order({ orderId: 'o2', createdAt: '2026-03-01T11:00:00.000Z', version: { at: '2026-03-01T11:00:00.000Z' }, lines: [{ lineId: 'l1', sku: 'A', quantity: 1, locationId: 'WH1' }] }));
    const changes = t.streamFrom(0).changes;

    // Act
    const first = await applyFold(t, SHARD, changes, 'UTC', NOW);
    await applyFold(t, SHARD, changes, 'UTC', NOW);

    // Assess: o1 took available from 1 to -1 (an oversell); o2 from -1 to -2 (not a new one)
    expect(first.oversells).toBe(1);
    expect(await numbers(t)).toEqual({ onHand: 1, reserved: 3, available: -2 });
    expect(await t.get(keys.kpi('shop', '2026-03-01T10', 0))).toMatchObject({ orders: 1, oversells: 1 });
    expect((await t.get(keys.kpi('shop', '2026-03-01T11', 0)))?.oversells).toBeUndefined();
  });

  it('keeps a watermark per shard on the balance; a row without one is applied only once it is too old to be pending', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyEvent(t, order());
    await applyFold(t, SHARD, t.streamFrom(0).changes, 'UTC', NOW);
    const bal = await t.get(keys.balance('A', 'WH1'));

    // Assess
    expect(bal?.[watermarkAttr(SHARD)]).toBe(padSeq(t.streamFrom(0).changes[0]!.seq));
    const row = (shard: string, seq: string, foldedAt = NOW) => ({ w: watermarkAttr(shard), seq: padSeq(seq), f: foldedAt.toString(36) });
    const s = t.streamFrom(0).changes[0]!.seq;
    expect(isApplied(row(SHARD, s), bal, NOW)).toBe(true);
    expect(isApplied(row(SHARD, String(BigInt(s) + 1n)), bal, NOW)).toBe(false);
    // another shard, whose fold has written the row but not the balance yet — even if the shard is old
    expect(isApplied(row('shardId-00000001700000000000-abcdef09', '1'), bal, NOW)).toBe(false);
    expect(isApplied(row('shardId-00000001700000000000-abcdef09', '1', NOW - UNAPPLIED_MAX_AGE_MS + 60_000), bal, NOW)).toBe(false);
    // a row older than any pending row can be: its watermark was removed after it was applied
    expect(isApplied(row('shardId-00000001700000000000-abcdef09', '1', NOW - UNAPPLIED_MAX_AGE_MS - 1), bal, NOW)).toBe(true);
    // rows the normalizer writes with their balance (adjustments)
    expect(isApplied({ delta: 1 }, bal, NOW)).toBe(true);
  });
});
