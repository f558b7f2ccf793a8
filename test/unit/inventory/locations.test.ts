import { describe, expect, it } from 'vitest';
import type { CanonicalEvent, OrderUpserted } from '#shared/domain/events.ts';
import { availableToSell } from '#shared/inventory/allocation.ts';
import type { ChannelConfig } from '#shared/inventory/channel-config.ts';
import { locateEvents } from '#shared/inventory/locate.ts';
import { assignReservations, UNASSIGNED_LOCATION } from '#shared/inventory/locations.ts';
import { readSku } from '#shared/inventory/stock-read.ts';
import type { BalanceRow } from '#shared/inventory/ports.ts';
import { contributionOf, upsertState } from '#shared/normalize/order-state.ts';
import type { ApiKeyRecord } from '#shared/http/api-key.ts';
import { EVENT_BASE, orderUpserted } from '#test/fixtures/events.ts';

const base = EVENT_BASE;

function order(over: Partial<OrderUpserted> = {}): OrderUpserted {
  return orderUpserted({
    lines: [{ lineId: 'l1', sku: 'A', quantity: 2 }],
    ...over,
  });
}

const balance = (location: string, onHand: number, reserved: number): BalanceRow =>
  ({
    sku: 'A',
    location,
    onHand,
    reserved,
    available: onHand - reserved,
    updatedAt: '2026-03-01T00:00:00.000Z',
    rev: 0,
  }) as BalanceRow;

describe('order lines that name no location', () => {
  it('are reserved unassigned, and shipping them moves no phantom location', () => {
    // Prepare
    const item = { channel: 'shop', orderId: 'o1', refunds: {}, state: upsertState(order(), () => undefined) };
    const shipped = {
      ...item,
      state: { ...item.state, status: 'fulfilled' as const, fulfilledAt: '2026-03-02T10:00:00.000Z' },
    };
    // Act
    const open = contributionOf(item);
    const done = contributionOf(shipped);
    // Assess
    expect(item.state.lines[0]!.location).toBe(UNASSIGNED_LOCATION);
    expect(Object.values(open.reserved)).toEqual([2]);
    expect(done.reserved).toEqual({});
    expect(done.moves).toEqual({});
  });
});

describe('locateEvents: a channel\u2019s locations in the hub', () => {
  const cfg: ChannelConfig = {
    channel: 'shop',
    allocation: {},
    fulfilmentLocation: 'WH-A',
    locationMap: { '655441491': 'WH-B' },
  };
  const configs = new Map([['shop', cfg]]);

  it('maps the channel\u2019s location ids and sends lines that name none to the fulfilment location', () => {
    // Prepare
    const events: CanonicalEvent[] = [
      order({
        lines: [
          { lineId: 'l1', sku: 'A', quantity: 1 },
          { lineId: 'l2', sku: 'B', quantity: 1, locationId: '655441491' },
        ],
      }),
      {
        ...base,
        type: 'StockLevelSet',
        sku: 'A',
        locationId: '655441491',
        quantity: 5,
        bucket: 'on_hand',
        asOf: '2026-03-01T09:00:00.000Z',
      },
      {
        ...base,
        channel: 'other',
        type: 'StockLevelSet',
        sku: 'A',
        locationId: '655441491',
        quantity: 5,
        bucket: 'on_hand',
        asOf: '2026-03-01T09:00:00.000Z',
      },
    ];
    // Act
    const [o, count, untouched] = locateEvents(events, configs) as [
      OrderUpserted,
      { locationId: string },
      { locationId: string },
    ];
    // Assess
    expect(o.lines.map((l) => l.locationId)).toEqual(['WH-A', 'WH-B']);
    expect(count.locationId).toBe('WH-B');
    expect(untouched.locationId).toBe('655441491');
  });

  it('leaves events of channels without location settings as they are', () => {
    const e = order();
    expect(locateEvents([e], new Map([['shop', { channel: 'shop', allocation: {} }]]))[0]).toBe(e);
  });
});

describe('assignReservations and the stock read', () => {
  const admin = { keyHash: 'h', scopes: ['admin'], partner: null } as unknown as ApiKeyRecord;

  it('shows unassigned reservations at a SKU\u2019s only location', async () => {
    // Prepare
    const rows = [balance('WH-A', 100, 0), balance(UNASSIGNED_LOCATION, 0, 2)];
    // Act
    const view = await readSku(
      {
        stock: { balancesOf: async () => rows } as never,
        channels: { list: async () => [{ channel: 'shop', allocation: {} }] },
      },
      admin,
      'A',
      {},
    );
    // Assess
    expect(view.locations).toEqual([
      { location: 'WH-A', onHand: 100, reserved: 2, available: 98, updatedAt: '2026-03-01T00:00:00.000Z' },
    ]);
    expect(view.available).toBe(98);
    expect(view.unassignedReserved).toBeUndefined();
    expect(view.channels).toEqual([{ channel: 'shop', availableToSell: 98 }]);
  });

  it('holds them against the SKU\u2019s total when it is stocked at several locations, never as a negative location', async () => {
    // Prepare
    const rows = [balance('WH-A', 40, 0), balance('WH-B', 25, 0), balance(UNASSIGNED_LOCATION, 0, 7)];
    // Act
    const view = await readSku(
      {
        stock: { balancesOf: async () => rows } as never,
        channels: { list: async () => [{ channel: 'shop', allocation: { share: 0.5 } }] },
      },
      admin,
      'A',
      {},
    );
    // Assess
    expect(view.locations.map((l) => [l.location, l.available])).toEqual([
      ['WH-A', 40],
      ['WH-B', 25],
    ]);
    expect(view.unassignedReserved).toBe(7);
    expect(view.available).toBe(58);
    expect(view.channels).toEqual([{ channel: 'shop', availableToSell: 29 }]);
    expect(assignReservations(rows).unassignedReserved).toBe(7);
    expect(availableToSell(rows.slice(0, 2), {}, 70)).toBe(0);
  });
});

describe('the fold and reservations that name no location', () => {
  it('counts an oversell only when the stock that exists does not cover the orders', async () => {
    // Prepare: 100 counted at WH-A; orders that name no location
    const { MemoryTable } = await import('#shared/table/memory-table.ts');
    const { applyEvent, applyEvents } = await import('#shared/normalize/apply.ts');
    const { applyFold } = await import('#shared/stream/fold-apply.ts');
    const t = new MemoryTable();
    const clock = () => new Date('2026-03-02T00:00:00.000Z');
    await applyEvent(
      t,
      {
        ...base,
        type: 'StockLevelSet',
        sku: 'A',
        locationId: 'WH-A',
        quantity: 100,
        bucket: 'on_hand',
        asOf: '2026-03-01T09:00:00.000Z',
      },
      clock,
    );
    const fold = async () => {
      const from = t.streamFrom(0).changes.length;
      await applyEvents(t, [order({ orderId: `o${from}`, lines: [{ lineId: 'l1', sku: 'A', quantity: 60 }] })], clock);
      const r = await applyFold(
        t,
        'shardId-00000001763900000000-abcdef01',
        t.streamFrom(0).changes.slice(from),
        'UTC',
        clock().getTime(),
        () => clock().getTime(),
      );
      return r.oversells;
    };
    // Act: 60 of 100, then 60 more (120 of 100)
    const first = await fold();
    const second = await fold();
    // Assess
    expect([first, second]).toEqual([0, 1]);
  });
});
