import { describe, expect, it } from 'vitest';
import type { OrderUpserted, StockLevelSet } from '#shared/domain/events.ts';
import { applyFold } from '#shared/stream/fold-apply.ts';
import { padSeq, watermarkAttr } from '#shared/stream/watermarks.ts';
import {
  appliedMovesAfter,
  BALANCE_MAX_BYTES,
  balanceWrite,
  decodeMove,
  encodeMove,
  isApplied,
  MOVES_PER_ROW,
  planStockFold,
  readStockFold,
  UNAPPLIED_MAX_AGE_MS,
} from '#shared/inventory/stock-fold.ts';
import { itemSize } from '#shared/table/item-size.ts';
import { TableValidationError, type WriteOp } from '#shared/table/port.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { keys } from '#shared/table/keys.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { hourCounter } from '../../support/kpi.ts';
import { UNASSIGNED_LOCATION } from '#shared/inventory/locations.ts';
import { EVENT_BASE, orderUpserted } from '#test/fixtures/events.ts';

const SHARD = 'shardId-00000001763900000000-abcdef01';
const NOW = Date.parse('2026-11-23T12:00:00Z');
const clock = () => new Date(NOW);
const msClock = () => NOW;
const base = EVENT_BASE;

function order(over: Partial<OrderUpserted> = {}): OrderUpserted {
  return orderUpserted({
    total: { amount: '30.00', currency: 'USD' },
    lines: [
      { lineId: 'l1', sku: 'A', quantity: 2, unitPrice: { amount: '15.00', currency: 'USD' }, locationId: 'WH1' },
    ],
    ...over,
  });
}
const shipped = (at = '2026-03-02T10:00:00.000Z') => order({ status: 'fulfilled', version: { at }, fulfilledAt: at });
const count = (quantity: number, asOf: string): StockLevelSet => ({
  ...base,
  type: 'StockLevelSet',
  sku: 'A',
  locationId: 'WH1',
  quantity,
  bucket: 'on_hand',
  asOf,
});

async function ledgerRows(t: MemoryTable) {
  const range = keys.ledgerRange('A', 'WH1');
  return t.queryBetween(range.pk, range.prefix, `${range.prefix}~`);
}

/** `n` orders of SKU A at WH1, each `qty` units, shipped at 10:00 + i minutes (o<i>, one order change each). */
async function shipMany(t: MemoryTable, n: number, from = 0, qty = 1) {
  for (let i = from; i < from + n; i++) {
    const at = new Date(Date.parse('2026-03-02T10:00:00.000Z') + i * 60_000).toISOString();
    await applyEvent(
      t,
      { ...shipped(at), orderId: `o${i}`, lines: [{ lineId: 'l1', sku: 'A', quantity: qty, locationId: 'WH1' }] },
      clock,
    );
  }
}

async function numbers(t: MemoryTable) {
  const it = await t.get(keys.balance('A', 'WH1'));
  return it && { onHand: it.onHand, reserved: it.reserved, available: it.available };
}

describe('planStockFold', () => {
  it('turns each order change into its change of reserved units and on-hand movements per balance', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyEvent(t, order(), clock);
    await applyEvent(t, shipped(), clock);

    // Act
    const plans = planStockFold(t.streamFrom(0).changes);

    // Assess: created → 2 reserved; shipped → 2 released and 2 moved off hand at the ship time
    expect(plans).toHaveLength(1);
    expect(plans[0]!.key).toEqual(keys.balance('A', 'WH1'));
    expect(plans[0]!.changes.map(({ seq, ...c }) => c)).toEqual([
      { reserved: 2, moves: [], ref: 'shop#o1#r1' },
      {
        reserved: -2,
        moves: [{ sku: 'A', location: 'WH1', delta: -2, at: '2026-03-02T10:00:00.000Z', reason: 'order' }],
        ref: 'shop#o1#r2',
      },
    ]);
  });
});

describe('planStockFold: unreadable records', () => {
  it('leaves out a record whose order item cannot be read (reported once), and folds the rest of the batch', async () => {
    // Prepare: a shipped order whose ship time cannot be read, then a good order
    const t = new MemoryTable();
    await applyEvent(
      t,
      order({ orderId: 'o2', createdAt: '2026-03-01T11:00:00.000Z', version: { at: '2026-03-01T11:00:00.000Z' } }),
      clock,
    );
    const good = t.streamFrom(0).changes[0]!;
    const bad = structuredClone(good);
    bad.seq = String(BigInt(good.seq) - 1n);
    const state = bad.newImage!.state as Record<string, unknown>;
    Object.assign(state, { status: 'fulfilled', fulfilledAt: 'not a time', createdAt: 'not a time' });
    bad.newImage!.pk = 'ORDER#shop#bad';

    // Act
    const r = await applyFold(t, SHARD, [bad, good], 'UTC', NOW, msClock);

    // Assess
    expect(r.skipped).toEqual([{ seq: bad.seq, pk: 'ORDER#shop#bad', error: expect.stringMatching(/invalid time/i) }]);
    expect(await numbers(t)).toEqual({ onHand: 0, reserved: 2, available: -2 });
  });
});

describe('applyFold: stock', () => {
  it('normalizing an order writes only the order; the fold applies its stock effects once, however often it is handed the records', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyEvent(t, count(10, '2026-03-01T09:00:00.000Z'), clock);
    const before = t.stats.writeRequests;
    await applyEvent(t, order(), clock);
    await applyEvent(t, shipped(), clock);
    const changes = t.streamFrom(0).changes;

    // Act: batches retried from their start, overlapping, and the whole stream again
    await applyFold(t, SHARD, changes.slice(0, 1), 'UTC', NOW, msClock);
    await applyFold(t, SHARD, changes.slice(0, 1), 'UTC', NOW, msClock);
    await applyFold(t, SHARD, changes, 'UTC', NOW, msClock);
    const again = await applyFold(t, SHARD, changes, 'UTC', NOW, msClock);

    // Assess
    expect(t.stats.writeRequests - before).toBeGreaterThanOrEqual(2);
    expect(again).toMatchObject({ balances: 0, ledgerRows: 0, written: 0 });
    expect(await numbers(t)).toEqual({ onHand: 8, reserved: 0, available: 8 });
    // the movement is listed on the balance, in the write that applied it
    expect((await t.get(keys.balance('A', 'WH1')))?.moves).toEqual(['2026-03-02T10:00:00.000Z|-2|order|shop#o1#r2']);
    expect(await ledgerRows(t)).toEqual([]);
  });

  it('stamps a balance with the time it is written, not the time its batch was planned (the feed trusts stamps to land within seconds)', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyEvent(t, order(), clock);

    // Act: a batch planned at NOW whose writes happen 7 s later
    await applyFold(t, SHARD, t.streamFrom(0).changes, 'UTC', NOW, () => NOW + 7000);

    // Assess
    const at = new Date(NOW + 7000).toISOString();
    const stored = await t.get(keys.balance('A', 'WH1'));
    expect(stored).toMatchObject({ updatedAt: at, reserved: 2 });
    // balances are no longer in the byUpdated index: the feed reads change pages
    expect(stored).not.toHaveProperty('feedSk');
  });

  it('lists movements on the balance until it is full, then writes the listed ones as a ledger row; a count counts each movement once', async () => {
    // Prepare: shipments folded one batch each
    const t = new MemoryTable();
    await shipMany(t, 30);
    let from = 0;
    for (const c of t.streamFrom(0).changes) {
      await applyFold(t, SHARD, [c], 'UTC', NOW, msClock);
      from++;
    }
    const bal = (await t.get(keys.balance('A', 'WH1')))!;
    const rows = await ledgerRows(t);

    // Act: a count from before every shipment
    await applyEvent(t, count(100, '2026-03-02T09:00:00.000Z'), clock);

    // Assess: every balance write fits in BALANCE_MAX_BYTES; rows (no watermark) + the list name each shipment once
    expect(from).toBe(30);
    expect(itemSize(bal)).toBeLessThanOrEqual(BALANCE_MAX_BYTES);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.w === undefined)).toBe(true);
    const all = [...rows.flatMap((r) => r.moves as string[]), ...(bal.moves as string[])].map((m) => decodeMove(m).ref);
    expect(all.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `shop#o${i}#r1`).sort());
    expect(await numbers(t)).toEqual({ onHand: 70, reserved: 0, available: 70 });
  });

  it('a count landing after a flush row was written but before its balance write counts those movements once; the retry lists them once more', async () => {
    // Prepare: a full list, then a batch whose fold writes the flush row and fails before the balance
    const t = new MemoryTable();
    await shipMany(t, 40);
    const changes = t.streamFrom(0).changes;
    let i = 0;
    let half: Awaited<ReturnType<typeof readStockFold>>['writes'][number];
    for (; i < changes.length; i++) {
      const w = (await readStockFold(t, SHARD, planStockFold([changes[i]!]), NOW)).writes[0]!;
      if (w.rows.length > 0) {
        half = w;
        break;
      }
      await applyFold(t, SHARD, [changes[i]!], 'UTC', NOW, msClock);
    }
    expect(half!.rows[0]).toMatchObject({ kind: 'put', item: { type: 'moves' } });
    for (const row of half!.rows) await t.write([row]);

    // Act: a count from before every shipment, then the fold's retry and the rest
    await applyEvent(t, count(100, '2026-03-02T09:00:00.000Z'), clock);
    const midway = await numbers(t);
    await applyFold(t, SHARD, changes.slice(i), 'UTC', NOW, msClock);
    await applyEvent(t, count(100, '2026-03-02T09:30:00.000Z'), clock);

    // Assess: the count saw the i shipments applied so far, each once (listed on the balance and in the row)
    expect(midway).toEqual({ onHand: 100 - i, reserved: 0, available: 100 - i });
    expect(await numbers(t)).toEqual({ onHand: 60, reserved: 0, available: 60 });
  });

  it("a count landing while a flash sale's fold is half-way counts only the movements the balance has taken in", async () => {
    // Prepare: a batch too big to list on the balance; its watermarked ledger rows are written, the balance not yet
    const t = new MemoryTable();
    await shipMany(t, 40);
    const changes = t.streamFrom(0).changes;
    const stock = await readStockFold(t, SHARD, planStockFold(changes), NOW);
    const half = stock.writes[0]!;
    expect(half.rows.map((r) => (r.kind === 'put' ? r.item.w : undefined))).toEqual([watermarkAttr(SHARD)]);
    for (const row of half.rows) await t.write([row]);

    // Act: a count from before the shipments, then the fold's retry
    await applyEvent(t, count(100, '2026-03-02T09:00:00.000Z'), clock);
    const midway = await numbers(t);
    await applyFold(t, SHARD, changes, 'UTC', NOW, msClock);
    await applyEvent(t, count(100, '2026-03-02T09:30:00.000Z'), clock);

    // Assess: the shipments after the count move stock once — not in the count and again in the fold
    expect(midway).toEqual({ onHand: 100, reserved: 0, available: 100 });
    expect(await numbers(t)).toEqual({ onHand: 60, reserved: 0, available: 60 });
  });

  it('a count after a retried flash-sale batch counts each movement once, also when the failed attempt listed some in a row of its own', async () => {
    // Prepare: a first attempt that wrote its row for 35 shipments, then failed before the balance
    const t = new MemoryTable();
    await shipMany(t, 40);
    const changes = t.streamFrom(0).changes;
    const failed = (await readStockFold(t, SHARD, planStockFold(changes.slice(0, 35)), NOW)).writes[0]!;
    for (const row of failed.rows) await t.write([row]);
    await applyFold(t, SHARD, changes, 'UTC', NOW, msClock);
    const rows = await ledgerRows(t);

    // Act: a count from before every shipment
    await applyEvent(t, count(100, '2026-03-02T09:00:00.000Z'), clock);

    // Assess: the retry's row lists all 40, the failed attempt's 35 of them again
    expect(rows.map((r) => (r.moves as unknown[]).length).sort()).toEqual([35, 40]);
    expect(await numbers(t)).toEqual({ onHand: 60, reserved: 0, available: 60 });
  });

  it('bills a new balance by the size of the item its update leaves, writer stamp and listed movement included', async () => {
    // Prepare: one shipment at a balance the table does not hold yet
    const t = new MemoryTable();
    const changes = [
      {
        seq: padSeq('100'),
        reserved: 1,
        moves: [{ sku: 'A', location: 'WH1', delta: -2, at: '2026-03-02T10:00:00.000Z', reason: 'order' as const }],
        ref: 'shop#o1#r1',
      },
    ];
    const w = balanceWrite(
      { sku: 'A', location: 'WH1', key: keys.balance('A', 'WH1'), changes },
      undefined,
      SHARD,
      NOW,
    )!;

    // Act
    const op = w.balance(new Date(NOW + 1_000).toISOString());
    await t.write([op]);

    // Assess
    const stored = (await t.get(keys.balance('A', 'WH1')))!;
    expect(stored).toMatchObject({ onHand: -2, reserved: 1, available: -3, rev: 1, by: 'fold', type: 'balance' });
    expect(stored.updatedAt).toBe(new Date(NOW + 1_000).toISOString());
    expect(op.kind === 'update' && op.billedSize).toBe(itemSize(stored));
  });

  it("splits a flash sale's movements at one balance over rows of at most MOVES_PER_ROW", () => {
    // Prepare: MOVES_PER_ROW + 1 shipped orders of one SKU in one batch
    const changes = Array.from({ length: MOVES_PER_ROW + 1 }, (_, i) => ({
      seq: padSeq(String(100 + i)),
      reserved: 0,
      moves: [
        {
          sku: 'A',
          location: 'WH1',
          delta: -1,
          at: `2026-03-02T10:00:${String(i % 60).padStart(2, '0')}.000Z`,
          reason: 'order' as const,
        },
      ],
      ref: `shop#o${i}#r1`,
    }));

    // Act
    const w = balanceWrite(
      { sku: 'A', location: 'WH1', key: keys.balance('A', 'WH1'), changes },
      undefined,
      SHARD,
      NOW,
    )!;

    // Assess: two rows with distinct keys, both applied by the one balance write
    const items = w.rows.map((r) => (r.kind === 'put' ? r.item : {}));
    expect(items.map((it) => (it.moves as unknown[]).length)).toEqual([MOVES_PER_ROW, 1]);
    expect(new Set(items.map((it) => it.sk)).size).toBe(2);
    expect(items.map((it) => it.seq)).toEqual([
      padSeq(String(100 + MOVES_PER_ROW)),
      padSeq(String(100 + MOVES_PER_ROW)),
    ]);
  });

  it("counts two movements of one order version with the same time, and leaves out only another list's copies", () => {
    // Prepare: two restocks of one order version at the same time, in a row and again in a retry's row
    const move = encodeMove({ delta: 1, at: '2026-03-02T10:00:00.000Z', reason: 'refund', ref: 'shop#o1#r3' });
    const bal = { [watermarkAttr(SHARD)]: padSeq('9') };
    const row = (seq: string) => ({
      w: watermarkAttr(SHARD),
      seq: padSeq(seq),
      f: NOW.toString(36),
      moves: [move, move],
    });

    // Act + Assess
    expect(appliedMovesAfter([row('7')], bal, '2026-03-02T09:00:00.000Z', NOW)).toBe(2);
    expect(appliedMovesAfter([row('7'), row('8')], bal, '2026-03-02T09:00:00.000Z', NOW)).toBe(2);
    expect(appliedMovesAfter([row('7')], bal, '2026-03-02T10:00:00.000Z', NOW)).toBe(0);
    // listed on the balance as well: still once
    expect(appliedMovesAfter([row('7')], { ...bal, moves: [move, move] }, '2026-03-02T09:00:00.000Z', NOW)).toBe(2);
    expect(appliedMovesAfter([], { ...bal, moves: [move] }, '2026-03-02T09:00:00.000Z', NOW)).toBe(1);
  });

  it('a count after a folded shipment includes it; a count after the shipment time leaves it out', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyEvent(t, order(), clock);
    await applyEvent(t, shipped('2026-03-02T10:00:00.000Z'), clock);
    await applyFold(t, SHARD, t.streamFrom(0).changes, 'UTC', NOW, msClock);

    // Act + Assess
    await applyEvent(t, count(10, '2026-03-02T09:00:00.000Z'), clock);
    expect(await numbers(t)).toEqual({ onHand: 8, reserved: 0, available: 8 });
    await applyEvent(t, count(10, '2026-03-02T11:00:00.000Z'), clock);
    expect(await numbers(t)).toEqual({ onHand: 10, reserved: 0, available: 10 });
  });

  it('counts an oversell once in the KPIs of the order that caused it, also when the batch is retried', async () => {
    // Prepare: 1 on hand, two orders of 2 and 1 units
    const t = new MemoryTable();
    await applyEvent(t, count(1, '2026-03-01T09:00:00.000Z'), clock);
    await applyEvent(t, order(), clock);
    await applyEvent(
      t,
      order({
        orderId: 'o2',
        createdAt: '2026-03-01T11:00:00.000Z',
        version: { at: '2026-03-01T11:00:00.000Z' },
        lines: [{ lineId: 'l1', sku: 'A', quantity: 1, locationId: 'WH1' }],
      }),
      clock,
    );
    const changes = t.streamFrom(0).changes;

    // Act
    const first = await applyFold(t, SHARD, changes, 'UTC', NOW, msClock);
    await applyFold(t, SHARD, changes, 'UTC', NOW, msClock);

    // Assess: o1 took available from 1 to -1 (an oversell); o2 from -1 to -2 (not a new one)
    expect(first.oversells).toBe(1);
    expect(await numbers(t)).toEqual({ onHand: 1, reserved: 3, available: -2 });
    expect(await hourCounter(t, 'shop', '2026-03-01T10')).toMatchObject({ orders: 1, oversells: 1 });
    expect((await hourCounter(t, 'shop', '2026-03-01T11'))?.oversells).toBeUndefined();
  });

  it('keeps a watermark per shard on the balance; a row without one is applied only once it is too old to be pending', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyEvent(t, order(), clock);
    await applyFold(t, SHARD, t.streamFrom(0).changes, 'UTC', NOW, msClock);
    const bal = await t.get(keys.balance('A', 'WH1'));

    // Assess
    expect(bal?.[watermarkAttr(SHARD)]).toBe(padSeq(t.streamFrom(0).changes[0]!.seq));
    const row = (shard: string, seq: string, foldedAt = NOW) => ({
      w: watermarkAttr(shard),
      seq: padSeq(seq),
      f: foldedAt.toString(36),
    });
    const s = t.streamFrom(0).changes[0]!.seq;
    expect(isApplied(row(SHARD, s), bal, NOW)).toBe(true);
    expect(isApplied(row(SHARD, String(BigInt(s) + 1n)), bal, NOW)).toBe(false);
    // another shard, whose fold has written the row but not the balance yet — even if the shard is old
    expect(isApplied(row('shardId-00000001700000000000-abcdef09', '1'), bal, NOW)).toBe(false);
    expect(
      isApplied(row('shardId-00000001700000000000-abcdef09', '1', NOW - UNAPPLIED_MAX_AGE_MS + 60_000), bal, NOW),
    ).toBe(false);
    // a row older than any pending row can be: its watermark was removed after it was applied
    expect(isApplied(row('shardId-00000001700000000000-abcdef09', '1', NOW - UNAPPLIED_MAX_AGE_MS - 1), bal, NOW)).toBe(
      true,
    );
    // rows the normalizer writes with their balance (adjustments)
    expect(isApplied({ delta: 1 }, bal, NOW)).toBe(true);
  });
});

describe('applyFold: SKUs and locations holding separators', () => {
  it('reserves an order line "MUG|WH-1" at its own balance, not 3 of MUG at WH-1', async () => {
    // Prepare: an order line whose SKU holds "|" (events applied directly, as a pre-rule order would be)
    const t = new MemoryTable();
    await applyEvent(t, order({ lines: [{ lineId: 'l1', sku: 'MUG|WH-1', quantity: 3 }] }), clock);

    // Act
    await applyFold(t, SHARD, t.streamFrom(0).changes, 'UTC', NOW, msClock);

    // Assess
    expect(await t.get(keys.balance('MUG', 'WH-1'))).toBeUndefined();
    expect((await t.get(keys.balance('MUG|WH-1', UNASSIGNED_LOCATION)))?.reserved).toBe(3);
  });

  it('ships two lines whose SKU and location join to the same string from their own balances', async () => {
    // Prepare: "A|B" at "C" and "A" at "B|C" would both be "A|B|C" joined
    const t = new MemoryTable();
    await applyEvent(t, shipped(), clock);
    const lines = [
      { lineId: 'l1', sku: 'A|B', quantity: 1, locationId: 'C' },
      { lineId: 'l2', sku: 'A', quantity: 2, locationId: 'B|C' },
    ];
    await applyEvent(t, { ...shipped(), orderId: 'o9', lines }, clock);

    // Act
    await applyFold(t, SHARD, t.streamFrom(0).changes, 'UTC', NOW, msClock);

    // Assess
    expect((await t.get(keys.balance('A|B', 'C')))?.onHand).toBe(-1);
    expect((await t.get(keys.balance('A', 'B|C')))?.onHand).toBe(-2);
  });
});

describe('applyFold: changes the table refuses', () => {
  it('leaves out a balance whose ~2,100-character SKU DynamoDB refuses, reports it, and folds the rest of the batch', async () => {
    // Prepare: the long SKU's order stored before the key-part rule, then an ordinary order
    const t = new MemoryTable();
    const longSku = 'X'.repeat(2100);
    await applyEvent(
      t,
      order({ orderId: 'o1', lines: [{ lineId: 'l1', sku: longSku, quantity: 1, locationId: 'WH1' }] }),
      clock,
    );
    await applyEvent(t, order({ orderId: 'o2' }), clock);

    // Act
    const r = await applyFold(t, SHARD, t.streamFrom(0).changes, 'UTC', NOW, msClock);

    // Assess
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0]!.error).toMatch(/partition key of 2104 bytes exceeds DynamoDB's 2048/);
    expect(await numbers(t)).toEqual({ onHand: 0, reserved: 2, available: -2 });
    expect(await hourCounter(t, 'shop', '2026-03-01T10')).toMatchObject({ orders: 2 });
  });

  it('leaves out a balance whose write the table refuses as invalid, and a retried batch does not fail on it again', async () => {
    // Prepare: a table that refuses every write to SKU B's balance as DynamoDB refuses poison
    class RefusingTable extends MemoryTable {
      override async write(ops: WriteOp[]): Promise<void> {
        if (ops.some((op) => (op.kind === 'put' ? op.item.pk : op.key.pk) === keys.balance('B', 'WH1').pk)) {
          throw new TableValidationError('ValidationException: Item size has exceeded the maximum allowed size');
        }
        return super.write(ops);
      }
    }
    const t = new RefusingTable();
    await applyEvent(
      t,
      order({
        lines: [
          { lineId: 'l1', sku: 'A', quantity: 2, locationId: 'WH1' },
          { lineId: 'l2', sku: 'B', quantity: 1, locationId: 'WH1' },
        ],
      }),
      clock,
    );
    const changes = t.streamFrom(0).changes;

    // Act
    const first = await applyFold(t, SHARD, changes, 'UTC', NOW, msClock);
    const again = await applyFold(t, SHARD, changes, 'UTC', NOW, msClock);

    // Assess
    expect(first.skipped.map((s) => s.error)).toEqual([expect.stringMatching(/Item size has exceeded/)]);
    expect(first.balances).toBe(1);
    expect(again.skipped).toHaveLength(1);
    expect(await numbers(t)).toEqual({ onHand: 0, reserved: 2, available: -2 });
  });
});
