import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CanonicalEvent, OrderUpserted } from '#shared/domain/events.ts';
import { applyEvent, UnresolvableEventError } from '#shared/normalize/apply.ts';
import { keys } from '#shared/table/keys.ts';
import type { DynamoTable } from '#shared/aws/table.ts';
import { foldTable } from '../../support/fold.ts';
import { freshTable } from '../../support/table.ts';
import { hourCounter } from '../../support/kpi.ts';
import { fixedClock } from '../../support/clock.ts';
import { EVENT_BASE, orderUpserted } from '#test/fixtures/events.ts';

const clock = fixedClock();

let table: DynamoTable;
let tableName: string;
let drop: () => Promise<void>;

beforeEach(async () => {
  ({ table, tableName, drop } = await freshTable('apply'));
});
afterEach(async () => drop());

const base = EVENT_BASE;

function order(over: Partial<OrderUpserted> = {}): OrderUpserted {
  return orderUpserted({
    rawStatus: { financial: 'paid' },
    total: { amount: '30.00', currency: 'USD' },
    lines: [
      { lineId: 'l1', sku: 'SKU-A', quantity: 2, unitPrice: { amount: '10.00', currency: 'USD' }, locationId: 'WH1' },
      { lineId: 'l2', sku: 'SKU-B', quantity: 1, unitPrice: { amount: '10.00', currency: 'USD' }, locationId: 'WH1' },
    ],
    ...over,
  });
}

/** A balance once the fold has read the stream (orders' stock effects are folded, as in AWS). */
async function balance(sku: string, loc: string) {
  await foldTable(table, tableName);
  const it = await table.get(keys.balance(sku, loc));
  return it ? { onHand: it.onHand, reserved: it.reserved, available: it.available } : undefined;
}

/** The hour counter, after the fold has read the stream (as the fold function does in AWS). */
async function kpi(channel: string, hour: string) {
  await foldTable(table, tableName);
  const it = await hourCounter(table, channel, hour);
  const sum: Record<string, number> = {};
  for (const [k, v] of Object.entries(it ?? {})) if (typeof v === 'number') sum[k] = v;
  return sum;
}

describe('applyEvent: orders', () => {
  it('reserves an open order, then releases and ships it when fulfilled; KPIs follow', async () => {
    // Prepare
    await applyEvent(
      table,
      {
        ...base,
        type: 'StockLevelSet',
        sku: 'SKU-A',
        locationId: 'WH1',
        quantity: 10,
        bucket: 'on_hand',
        asOf: '2026-03-01T09:00:00.000Z',
      },
      clock,
    );
    // Act
    expect(await applyEvent(table, order(), clock)).toBe('applied');
    const reservedAfterCreate = await balance('SKU-A', 'WH1');
    await applyEvent(
      table,
      order({
        status: 'fulfilled',
        version: { at: '2026-03-02T10:00:00.000Z' },
        fulfilledAt: '2026-03-02T10:00:00.000Z',
      }),
      clock,
    );
    // Assess
    expect(reservedAfterCreate).toEqual({ onHand: 10, reserved: 2, available: 8 });
    expect(await balance('SKU-A', 'WH1')).toEqual({ onHand: 8, reserved: 0, available: 8 });
    expect(await balance('SKU-B', 'WH1')).toEqual({ onHand: -1, reserved: 0, available: -1 });
    const k = await kpi('shop', '2026-03-01T10');
    expect(k).toMatchObject({
      orders: 1,
      units: 3,
      multiSku: 1,
      fulfilled: 1,
      fulfilSeconds: 86400,
      revenue_USD: 3000,
    });
  });

  it('writes nothing for a redelivery or an older version', async () => {
    // Prepare
    await applyEvent(table, order({ version: { at: '2026-03-01T12:00:00.000Z' } }), clock);
    const writes = table.stats.writeRequests;
    // Act
    const again = await applyEvent(table, order({ version: { at: '2026-03-01T12:00:00.000Z' } }), clock);
    const older = await applyEvent(
      table,
      order({ status: 'pending_payment', version: { at: '2026-03-01T11:00:00.000Z' } }),
      clock,
    );
    // Assess
    expect([again, older]).toEqual(['noop', 'noop']);
    expect(table.stats.writeRequests).toBe(writes);
    expect((await table.get(keys.order('shop', 'o1')))?.state).toMatchObject({ status: 'paid' });
  });

  it('lands the same state whether the cancellation comes before or after the order', async () => {
    // Act
    await applyEvent(
      table,
      { ...base, type: 'OrderCancelled', orderId: 'o1', cancelledAt: '2026-03-01T11:00:00.000Z' },
      clock,
    );
    await applyEvent(table, order(), clock);
    // Assess
    expect(await balance('SKU-A', 'WH1')).toBeUndefined();
    expect(await kpi('shop', '2026-03-01T10')).toMatchObject({ orders: 1, cancelled: 1 });
    expect((await kpi('shop', '2026-03-01T10')).units ?? 0).toBe(0);
  });

  it('releases only the cancelled lines of a partial cancellation', async () => {
    await applyEvent(table, order(), clock);
    await applyEvent(
      table,
      { ...base, type: 'OrderCancelled', orderId: 'o1', cancelledAt: '2026-03-01T11:00:00.000Z', lineIds: ['l2'] },
      clock,
    );
    expect(await balance('SKU-A', 'WH1')).toMatchObject({ reserved: 2 });
    expect(await balance('SKU-B', 'WH1')).toMatchObject({ reserved: 0 });
    expect(await kpi('shop', '2026-03-01T10')).toMatchObject({ orders: 1, units: 2, revenue_USD: 2000 });
  });

  it('keeps the lines of an order when a newer notification carries none, whichever arrives first', async () => {
    const lineless = order({ status: 'processing', version: { at: '2026-03-01T11:00:00.000Z' }, lines: [] });
    await applyEvent(table, lineless, clock);
    await applyEvent(table, order(), clock);
    expect(await balance('SKU-A', 'WH1')).toMatchObject({ reserved: 2 });
    expect((await table.get(keys.order('shop', 'o1')))?.state).toMatchObject({
      status: 'processing',
      lines: [{ sku: 'SKU-A' }, { sku: 'SKU-B' }],
    });
    expect(await applyEvent(table, lineless, clock)).toBe('noop');
  });

  it('counts an order whose lines were all cancelled one by one as cancelled, with no revenue', async () => {
    await applyEvent(table, order(), clock);
    await applyEvent(
      table,
      { ...base, type: 'OrderCancelled', orderId: 'o1', cancelledAt: '2026-03-01T11:00:00.000Z', lineIds: ['l1'] },
      clock,
    );
    await applyEvent(
      table,
      { ...base, type: 'OrderCancelled', orderId: 'o1', cancelledAt: '2026-03-01T11:05:00.000Z', lineIds: ['l2'] },
      clock,
    );
    const k = await kpi('shop', '2026-03-01T10');
    expect(k).toMatchObject({ orders: 1, cancelled: 1 });
    expect([k.units ?? 0, k.revenue_USD ?? 0]).toEqual([0, 0]);
    expect(await balance('SKU-A', 'WH1')).toMatchObject({ reserved: 0 });
  });

  it('records a refund once, restocking its lines', async () => {
    await applyEvent(table, order({ status: 'fulfilled', fulfilledAt: '2026-03-01T12:00:00.000Z' }), clock);
    const refund: CanonicalEvent = {
      ...base,
      type: 'RefundRecorded',
      orderId: 'o1',
      refundId: 'r1',
      amount: { amount: '10.00', currency: 'USD' },
      processedAt: '2026-03-03T00:00:00.000Z',
      lines: [{ lineId: 'l1', quantity: 1, restock: true }],
    };
    expect(await applyEvent(table, refund, clock)).toBe('applied');
    expect(await applyEvent(table, refund, clock)).toBe('noop');
    expect(await balance('SKU-A', 'WH1')).toEqual({ onHand: -1, reserved: 0, available: -1 });
    expect(await kpi('shop', '2026-03-01T10')).toMatchObject({ refunds: 1, refundAmount_USD: 1000 });
  });

  it('records an oversell when an order takes available below zero (the fold finds it, once)', async () => {
    await applyEvent(
      table,
      {
        ...base,
        type: 'StockLevelSet',
        sku: 'SKU-A',
        locationId: 'WH1',
        quantity: 1,
        bucket: 'on_hand',
        asOf: '2026-03-01T09:00:00.000Z',
      },
      clock,
    );
    await applyEvent(table, order(), clock);
    // SKU-A (1 on hand, 2 ordered) and SKU-B (never counted, 1 ordered) both go below zero
    expect((await foldTable(table, tableName)).oversells).toBe(2);
    expect((await foldTable(table, tableName)).oversells).toBe(0);
    expect(await balance('SKU-A', 'WH1')).toEqual({ onHand: 1, reserved: 2, available: -1 });
    expect(await kpi('shop', '2026-03-01T10')).toMatchObject({ oversells: 2 });
  });

  it('folds the orders after one stored with a ~2,100-character SKU, leaving that balance out and reporting it', async () => {
    // Prepare: the long SKU's order as stored before the key-part rule, then an ordinary one
    const longSku = 'X'.repeat(2100);
    await applyEvent(
      table,
      order({ orderId: 'o1', lines: [{ lineId: 'l1', sku: longSku, quantity: 1, locationId: 'WH1' }] }),
      clock,
    );
    await applyEvent(table, order({ orderId: 'o2' }), clock);

    // Act
    const folded = await foldTable(table, tableName);

    // Assess
    expect(folded.skipped.map((s) => s.error)).toEqual([expect.stringMatching(/exceeds DynamoDB's 2048/)]);
    expect(await balance('SKU-A', 'WH1')).toEqual({ onHand: 0, reserved: 2, available: -2 });
    expect(await kpi('shop', '2026-03-01T10')).toMatchObject({ orders: 2 });
  });
});

describe('applyEvent: stock', () => {
  const set = (quantity: number, asOf: string): CanonicalEvent => ({
    ...base,
    type: 'StockLevelSet',
    sku: 'SKU-A',
    locationId: 'WH1',
    quantity,
    bucket: 'on_hand',
    asOf,
  });
  const adj = (delta: number, at: string, key: string): CanonicalEvent => ({
    ...base,
    type: 'StockAdjusted',
    sku: 'SKU-A',
    locationId: 'WH1',
    delta,
    reason: 'receipt',
    idempotencyKey: key,
    at,
  });

  it('lets an absolute count win over older movements and keep newer ones, in any arrival order', async () => {
    // Arrival: newer movement, count, older movement, stale count
    await applyEvent(table, adj(5, '2026-03-01T12:00:00.000Z', 'late'), clock);
    await applyEvent(table, set(100, '2026-03-01T10:00:00.000Z'), clock);
    await applyEvent(table, adj(7, '2026-03-01T09:00:00.000Z', 'early'), clock);
    expect(await applyEvent(table, set(50, '2026-03-01T08:00:00.000Z'), clock)).toBe('noop');
    expect(await balance('SKU-A', 'WH1')).toEqual({ onHand: 105, reserved: 0, available: 105 });
  });

  it('applies an adjustment once per idempotency key', async () => {
    expect(await applyEvent(table, adj(3, '2026-03-01T12:00:00.000Z', 'k1'), clock)).toBe('applied');
    expect(await applyEvent(table, adj(3, '2026-03-01T12:00:00.000Z', 'k1'), clock)).toBe('noop');
    expect(await balance('SKU-A', 'WH1')).toMatchObject({ onHand: 3 });
  });

  it('resolves a listing id through the mapping, and refuses an unmapped one', async () => {
    const level: CanonicalEvent = {
      ...base,
      type: 'StockLevelSet',
      inventoryItemId: 'inventory_item:77',
      locationId: 'L9',
      quantity: 4,
      bucket: 'available',
      asOf: '2026-03-01T10:00:00.000Z',
    };
    await expect(applyEvent(table, level, clock)).rejects.toBeInstanceOf(UnresolvableEventError);
    await applyEvent(
      table,
      { ...base, type: 'ListingMapped', externalId: 'inventory_item:77', sku: 'SKU-Z', at: '2026-03-01T09:00:00.000Z' },
      clock,
    );
    expect(await applyEvent(table, level, clock)).toBe('applied');
    expect(await balance('SKU-Z', 'L9')).toMatchObject({ onHand: 4 });
  });
});
