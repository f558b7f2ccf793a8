import { describe, expect, it } from 'vitest';
import type { FulfillmentRecorded, OrderUpserted, RefundRecorded } from '#shared/domain/events.ts';
import { planStockFold } from '#shared/inventory/stock-fold.ts';
import { applyEvent, applyEvents } from '#shared/normalize/apply.ts';
import { keys } from '#shared/table/keys.ts';
import {
  contributionOf,
  diffContribution,
  mergeFulfillment,
  mergeRefund,
  mergeUpsert,
  shipEnvelope,
  upsertState,
  type OrderItemBody,
} from '#shared/normalize/order-state.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { fixedClock } from '../../support/clock.ts';
import { UNASSIGNED_LOCATION } from '#shared/inventory/locations.ts';
import { EVENT_BASE, orderUpserted } from '#test/fixtures/events.ts';

const clock = fixedClock();
const base = EVENT_BASE;

function order(over: Partial<OrderUpserted> = {}): OrderUpserted {
  return orderUpserted({
    lines: [
      { lineId: 'l1', sku: 'A', quantity: 3, locationId: 'WH1' },
      { lineId: 'l2', sku: 'B', quantity: 1, locationId: 'WH1' },
    ],
    ...over,
  });
}

/** A ship movement of `sku` at WH1 as contributionOf keys it (by SKU, location and time). */
const shipAt = (sku: string, at: string, delta: number) => ({
  [JSON.stringify(['ship', sku, 'WH1', at])]: { sku, location: 'WH1', delta, at, reason: 'order' },
});

const empty = (): OrderItemBody => ({ channel: 'shop', orderId: 'o1', refunds: {} });
const itemOf = (...events: OrderUpserted[]) =>
  events.reduce(
    (item, e) =>
      mergeUpsert(
        item,
        upsertState(e, () => undefined),
      ),
    empty(),
  );

describe('contributionOf: partial fulfilment per line', () => {
  it('ships the shipped units of a partially fulfilled order and keeps only the rest reserved', () => {
    // Prepare: 2 of 3 A shipped, B (1) shipped in full, the order still partially fulfilled
    const partial = order({
      status: 'partially_fulfilled',
      version: { at: '2026-03-02T09:00:00.000Z' },
      lines: [
        { lineId: 'l1', sku: 'A', quantity: 3, shippedQuantity: 2, locationId: 'WH1' },
        { lineId: 'l2', sku: 'B', quantity: 1, shippedQuantity: 1, locationId: 'WH1' },
      ],
    });
    // Act
    const c = contributionOf(itemOf(partial));
    // Assess
    expect(c.reserved).toEqual({ '["A","WH1"]': 1 });
    expect(c.moves).toEqual({
      ...shipAt('A', '2026-03-02T09:00:00.000Z', -2),
      ...shipAt('B', '2026-03-02T09:00:00.000Z', -1),
    });
    expect(c.kpi?.figures.fulfilled).toBe(0);
  });

  it('by difference: paid → partial → fulfilled ships each unit once and releases each reservation once', () => {
    // Prepare
    const paid = itemOf(order());
    const partial = itemOf(
      order(),
      order({
        status: 'partially_fulfilled',
        version: { at: '2026-03-02T09:00:00.000Z' },
        lines: [
          { lineId: 'l1', sku: 'A', quantity: 3, shippedQuantity: 2, locationId: 'WH1' },
          { lineId: 'l2', sku: 'B', quantity: 1, locationId: 'WH1' },
        ],
      }),
    );
    const done = mergeUpsert(
      partial,
      upsertState(
        order({
          status: 'fulfilled',
          version: { at: '2026-03-03T09:00:00.000Z' },
          fulfilledAt: '2026-03-03T08:00:00.000Z',
        }),
        () => undefined,
      ),
    );
    // Act
    const first = diffContribution(contributionOf(paid), contributionOf(partial));
    const second = diffContribution(contributionOf(partial), contributionOf(done));
    // Assess
    expect(first).toEqual({
      reserved: { '["A","WH1"]': -2 },
      moves: [{ sku: 'A', location: 'WH1', delta: -2, at: '2026-03-02T09:00:00.000Z', reason: 'order' }],
    });
    expect(second).toEqual({
      reserved: { '["A","WH1"]': -1, '["B","WH1"]': -1 },
      moves: [
        { sku: 'A', location: 'WH1', delta: -1, at: '2026-03-03T08:00:00.000Z', reason: 'order' },
        { sku: 'B', location: 'WH1', delta: -1, at: '2026-03-03T08:00:00.000Z', reason: 'order' },
      ],
    });
  });

  it('a newer version that repeats the shipped quantity moves and releases nothing', () => {
    // Prepare: the same partial state re-sent with a later updated_at (a note edit)
    const v1 = order({
      status: 'partially_fulfilled',
      version: { at: '2026-03-02T09:00:00.000Z' },
      lines: [{ lineId: 'l1', sku: 'A', quantity: 3, shippedQuantity: 1, locationId: 'WH1' }],
    });
    const v2 = { ...v1, version: { at: '2026-03-02T10:00:00.000Z' } };
    // Act
    const delta = diffContribution(contributionOf(itemOf(v1)), contributionOf(itemOf(v1, v2)));
    // Assess
    expect(delta).toEqual({ reserved: {}, moves: [] });
  });

  it('a unit leaves at the earliest report of its shipment, whichever version arrives first', () => {
    // Prepare: one unit reported shipped by the 10:54 version, again by the 11:04 one (with its own
    // time); then a third unit by the 12:00 one. A count at 11:00 saw the first unit gone.
    const line = (shipped: number, at: string) => ({
      lineId: 'l1',
      sku: 'A',
      quantity: 3,
      shippedQuantity: shipped,
      shippedAt: at,
      locationId: 'WH1',
    });
    const v = (at: string, shipped: number) =>
      order({ status: 'partially_fulfilled', version: { at }, lines: [line(shipped, at)] });
    const v1 = v('2026-03-02T10:54:00.000Z', 1);
    const v2 = v('2026-03-02T11:04:00.000Z', 1);
    const v3 = v('2026-03-02T12:00:00.000Z', 3);
    // Act
    const inOrder = itemOf(v1, v2, v3);
    const reversed = itemOf(v3, v2, v1);
    const skipped = itemOf(v3);
    // Assess: the same item and moves in any order; the first unit at 10:54, the other two at 12:00
    expect(reversed).toEqual(inOrder);
    const moves = Object.values(contributionOf(inOrder).moves).map((m) => [m.at, m.delta]);
    expect(moves).toEqual([
      ['2026-03-02T10:54:00.000Z', -1],
      ['2026-03-02T12:00:00.000Z', -2],
    ]);
    // a hub that saw only the last version learns the first unit's time when the older one comes:
    // the unit moves back at 12:00 and off at 10:54
    const late = diffContribution(
      contributionOf(skipped),
      contributionOf(
        mergeUpsert(
          skipped,
          upsertState(v1, () => undefined),
        ),
      ),
    );
    expect(late.moves.map((m) => [m.at, m.delta]).sort()).toEqual([
      ['2026-03-02T10:54:00.000Z', -1],
      ['2026-03-02T12:00:00.000Z', 1],
    ]);
  });

  it('a fulfilled order resent later (a note edit) leaves its units at the first fulfilled version, in either order', () => {
    // Prepare: fulfilled at 09:00 without a fulfilledAt, then the same order edited at 10:00
    const fulfilled = order({ status: 'fulfilled', version: { at: '2026-03-03T09:00:00.000Z' } });
    const edited = order({ status: 'fulfilled', version: { at: '2026-03-03T10:00:00.000Z' } });
    // Act
    const inOrder = itemOf(order(), fulfilled, edited);
    const editFirst = itemOf(order(), edited, fulfilled);
    // Assess
    expect(editFirst).toEqual(inOrder);
    expect(contributionOf(inOrder).moves).toEqual({
      ...shipAt('A', '2026-03-03T09:00:00.000Z', -3),
      ...shipAt('B', '2026-03-03T09:00:00.000Z', -1),
    });
  });

  it('caps a shipped quantity above the line quantity at the line quantity', () => {
    // Prepare
    const e = order({
      status: 'partially_fulfilled',
      lines: [{ lineId: 'l1', sku: 'A', quantity: 2, shippedQuantity: 5, locationId: 'WH1' }],
    });
    // Act
    const c = contributionOf(itemOf(e));
    // Assess
    expect(c.reserved).toEqual({});
    expect(Object.values(c.moves).map((m) => [m.sku, m.delta])).toEqual([['A', -2]]);
  });
});

describe('unmapped lines', () => {
  const unmappedOrder = () =>
    order({
      source: 'woocommerce',
      lines: [
        { lineId: '315', externalItemId: 'product:93', quantity: 2, locationId: 'default' },
        { lineId: '316', sku: 'WOO-HOODIE', externalItemId: 'product:22', quantity: 1, locationId: 'default' },
      ],
    });

  it('keeps a line whose listing is not mapped on the order, flagged, and counts it in KPIs but not in stock', () => {
    // Prepare
    const e = unmappedOrder();
    // Act
    const item = itemOf(e);
    const c = contributionOf(item);
    // Assess
    expect(item.state?.lines[0]).toEqual({
      lineId: '315',
      sku: 'UNMAPPED:product:93',
      qty: 2,
      location: 'default',
      unmapped: true,
    });
    expect(c.reserved).toEqual({ '["WOO-HOODIE","default"]': 1 });
    expect(c.kpi?.figures.units).toBe(3);
  });

  it('a restocking refund of an unmapped line moves nothing', () => {
    // Prepare
    const refund: RefundRecorded = {
      ...base,
      type: 'RefundRecorded',
      orderId: 'o1',
      refundId: 'r1',
      processedAt: '2026-03-04T10:00:00.000Z',
      lines: [{ lineId: '315', quantity: 1, restock: true }],
    };
    // Act
    const c = contributionOf(mergeRefund(itemOf(unmappedOrder()), refund));
    // Assess
    expect(c.moves).toEqual({});
  });

  it('through apply: an unresolved line opens no balance; a mapped listing is resolved by its external id', async () => {
    // Prepare
    const t = new MemoryTable();
    await applyEvent(
      t,
      {
        ...base,
        type: 'ListingMapped',
        externalId: 'variation:94',
        sku: 'WOO-TEE-RED',
        at: '2026-02-01T00:00:00.000Z',
      },
      clock,
    );
    const from = t.streamFrom(0).changes.length;
    const e = order({
      source: 'woocommerce',
      lines: [
        { lineId: '315', externalItemId: 'product:93', quantity: 2 },
        { lineId: '317', externalItemId: 'variation:94', quantity: 1 },
      ],
    });
    // Act
    await applyEvents(t, [e], clock);
    const plans = planStockFold(t.streamFrom(0).changes.slice(from));
    const stored = await t.get(keys.order('shop', 'o1'));
    // Assess
    expect(plans.map((p) => p.key)).toEqual([keys.balance('WOO-TEE-RED', UNASSIGNED_LOCATION)]);
    expect(plans[0]?.changes.map((c) => c.reserved)).toEqual([1]);
    expect((stored?.state as { lines: unknown[] }).lines).toEqual([
      { lineId: '315', sku: 'UNMAPPED:product:93', qty: 2, location: UNASSIGNED_LOCATION, unmapped: true },
      { lineId: '317', sku: 'WOO-TEE-RED', qty: 1, location: UNASSIGNED_LOCATION },
    ]);
  });
});

describe('fulfilments recorded on the order', () => {
  const fulfillment = (over: Partial<FulfillmentRecorded> = {}): FulfillmentRecorded => ({
    ...base,
    type: 'FulfillmentRecorded',
    orderId: 'o1',
    fulfillmentId: 'f1',
    shipped: true,
    at: '2026-03-02T08:00:00.000Z',
    version: { at: '2026-03-02T08:00:00.000Z' },
    lines: [{ lineId: 'l1', quantity: 2 }],
    ...over,
  });

  it('ships the fulfilled lines at the fulfilment time and keeps the rest reserved, whichever arrives first', () => {
    // Prepare
    const paid = order();
    // Act
    const orderFirst = mergeFulfillment(itemOf(paid), fulfillment());
    const fulfilmentFirst = mergeUpsert(
      mergeFulfillment(empty(), fulfillment()),
      upsertState(paid, () => undefined),
    );
    // Assess
    expect(orderFirst).toEqual(fulfilmentFirst);
    expect(contributionOf(orderFirst).reserved).toEqual({ '["A","WH1"]': 1, '["B","WH1"]': 1 });
    expect(contributionOf(orderFirst).moves).toEqual({
      ...shipAt('A', '2026-03-02T08:00:00.000Z', -2),
    });
  });

  it('does not count a shipment twice when the order also reports it per line', () => {
    // Prepare: the orders/updated after the fulfilment says the same 2 units shipped
    const partial = order({
      status: 'partially_fulfilled',
      version: { at: '2026-03-02T08:00:05.000Z' },
      lines: [
        { lineId: 'l1', sku: 'A', quantity: 3, shippedQuantity: 2, locationId: 'WH1' },
        { lineId: 'l2', sku: 'B', quantity: 1, locationId: 'WH1' },
      ],
    });
    // Act
    const c = contributionOf(mergeFulfillment(itemOf(partial), fulfillment()));
    // Assess
    expect(c.moves).toEqual({
      // the units left when the fulfilment says, not when the order's later version reported them
      ...shipAt('A', '2026-03-02T08:00:00.000Z', -2),
    });
    expect(c.reserved).toEqual({ '["A","WH1"]': 1, '["B","WH1"]': 1 });
  });

  it('a newer cancelled version of the fulfilment puts its units back to reserved; an older one changes nothing', () => {
    // Prepare
    const shipped = mergeFulfillment(itemOf(order()), fulfillment());
    const cancelled = fulfillment({ shipped: false, version: { at: '2026-03-02T12:00:00.000Z' } });
    // Act
    const after = mergeFulfillment(shipped, cancelled);
    const stale = mergeFulfillment(after, fulfillment());
    const delta = diffContribution(contributionOf(shipped), contributionOf(after));
    // Assess
    expect(delta).toEqual({
      reserved: { '["A","WH1"]': 2 },
      moves: [{ sku: 'A', location: 'WH1', delta: 2, at: '2026-03-02T08:00:00.000Z', reason: 'order' }],
    });
    expect(stale).toBe(after);
  });
});

describe('contributionOf: units taken off a line before shipping', () => {
  // a refund that cancelled 2 of line l1's 3 units before they shipped (Shopify restock_type cancel)
  const cancelTwo: RefundRecorded = {
    ...base,
    type: 'RefundRecorded',
    orderId: 'o1',
    refundId: 'r-cancel',
    processedAt: '2026-03-02T10:00:00.000Z',
    lines: [{ lineId: 'l1', sku: 'A', quantity: 2, restock: false, unshipped: true, locationId: 'WH1' }],
  };

  it('an open order stops holding the cancelled units and nothing goes back on hand', () => {
    const c = contributionOf(mergeRefund(itemOf(order()), cancelTwo));
    expect(c.reserved).toEqual({ '["A","WH1"]': 1, '["B","WH1"]': 1 });
    expect(c.moves).toEqual({});
  });

  it('the refund arriving before its order counts once the order is known, in either order', () => {
    const refundFirst = mergeUpsert(
      mergeRefund(empty(), cancelTwo),
      upsertState(order(), () => undefined),
    );
    const orderFirst = mergeRefund(itemOf(order()), cancelTwo);
    expect(contributionOf(refundFirst)).toEqual(contributionOf(orderFirst));
  });

  it('a shipment of the order ships only the units still on it', () => {
    const shipped = order({ status: 'fulfilled', version: { at: '2026-03-03T09:00:00.000Z' } });
    const c = contributionOf(mergeRefund(itemOf(order(), shipped), cancelTwo));
    expect(c.reserved).toEqual({});
    expect(c.moves['["ship","A","WH1","2026-03-03T09:00:00.000Z"]']?.delta).toBe(-1);
    expect(c.moves['["ship","B","WH1","2026-03-03T09:00:00.000Z"]']?.delta).toBe(-1);
  });

  it('a cancelled order leaves on-hand as it was (the cancelled units never left)', () => {
    const cancelled = order({ status: 'cancelled', version: { at: '2026-03-03T09:00:00.000Z' } });
    const c = contributionOf(mergeRefund(itemOf(order(), cancelled), cancelTwo));
    expect(c.reserved).toEqual({});
    expect(c.moves).toEqual({});
  });

  it("the order's own count of removed units (an edit) and its refunds: the larger wins, never both", () => {
    const edited = order({
      version: { at: '2026-03-02T11:00:00.000Z' },
      lines: [
        { lineId: 'l1', sku: 'A', quantity: 3, removedQuantity: 2, locationId: 'WH1' },
        { lineId: 'l2', sku: 'B', quantity: 1, locationId: 'WH1' },
      ],
    });
    const c = contributionOf(mergeRefund(itemOf(order(), edited), cancelTwo));
    expect(c.reserved).toEqual({ '["A","WH1"]': 1, '["B","WH1"]': 1 });
  });
});

describe('shipEnvelope: the earliest report of each unit', () => {
  const T = (h: number) => `2026-03-02T${String(h).padStart(2, '0')}:00:00.000Z`;

  it('keeps, for each count of units, the earliest time a report reached it, whatever order the reports come in', () => {
    // 2 units by 09:00, 1 by 08:00, 3 by 11:00, 2 again by 10:00 (later than 09:00: no new step)
    const reports: [string, number][] = [
      [T(9), 2],
      [T(8), 1],
      [T(11), 3],
      [T(10), 2],
    ];
    const want = [
      [T(8), 1],
      [T(9), 2],
      [T(11), 3],
    ];
    expect(shipEnvelope(reports)).toEqual(want);
    expect(shipEnvelope([...reports].reverse())).toEqual(want);
    // merging its own answer again changes nothing
    expect(shipEnvelope([...shipEnvelope(reports), ...reports])).toEqual(want);
  });

  it('one step per time (the most units reported then), none for reports of no units', () => {
    // the same instant written two ways counts as one time
    expect(
      shipEnvelope([
        [T(9), 1],
        ['2026-03-02T09:00:00Z', 3],
        [T(8), 0],
      ]),
    ).toEqual([[T(9), 3]]);
    expect(shipEnvelope([])).toEqual([]);
  });
});
