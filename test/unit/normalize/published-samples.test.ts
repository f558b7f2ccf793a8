import { describe, expect, it } from 'vitest';
import type { Source } from '#shared/domain/connection.ts';
import type { CanonicalEvent, OrderUpserted } from '#shared/domain/events.ts';
import { adapt } from '#shared/adapters/index.ts';
import { AdapterError } from '#shared/adapters/types.ts';
import { applyEvents } from '#shared/normalize/apply.ts';
import { normalizeMessage } from '#shared/normalize/normalize.ts';
import { assignReservations, UNASSIGNED_LOCATION } from '#shared/inventory/locations.ts';
import { deliveryFor, payloadNames, payloadText } from '#test/fixtures/payloads.ts';
import { FIXTURE_TOPIC } from '#test/fixtures/topics.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { foldMemory } from '../../../bench/memory-fold.ts';
import { channelList } from '../../support/channels.ts';
import { fixedClock, TEST_NOW } from '../../support/clock.ts';
import {
  type Balance,
  CHANNEL,
  COUNTED,
  locationIdsOf,
  skuForListing,
  WAREHOUSE,
  setupEvents,
} from './published-setup.ts';

/**
 * Every published-sample fixture (test/fixtures/payloads/<sender>/, each README or test names the
 * sample it mirrors) delivered byte for byte as a merchant would first send it, into a hub set up
 * as a merchant sets one up: the channel's own location ids mapped to the warehouse WH-A, the
 * listing ids the sample names mapped to SKUs, and every SKU it names counted at WH-A (100 units,
 * counted before anything in the samples happened). Then, for every sample:
 * - it is applied or acknowledged as ignored, never quarantined;
 * - no balance is at a location other than WH-A (or the unassigned reservations), none is
 *   negative, the fold finds no oversell and no KPI counter counts one;
 * - a count sets on-hand to what it says, a movement moves it by what it says, Amazon's MFN
 *   quantity leaves on-hand as counted;
 * - an order's units are held or shipped from WH-A exactly once: no more than its SKU lines
 *   order, and exactly those of an open order that nothing cancelled or restocked.
 * Exact events per sample are asserted by the adapters' tests (test/unit/adapters/).
 */

const SAMPLES = (Object.keys(FIXTURE_TOPIC) as Source[]).flatMap((source) =>
  payloadNames(source).map((name) => ({ source, name, topic: FIXTURE_TOPIC[source][name]! })),
);

describe('published samples, sent first by a merchant set up as merchants are', () => {
  it('cover every sender with at least 30 samples', () => {
    const senders = new Set(SAMPLES.map((s) => s.source));
    expect([...senders].sort()).toEqual(
      ['amazon', 'bigcommerce', 'ebay', 'shopify', 'square', 'standard-webhooks', 'walmart', 'woocommerce'].sort(),
    );
    expect(SAMPLES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(SAMPLES)('$source $name ($topic)', async ({ source, name, topic }) => {
    // Prepare: what the sample names, and the merchant's set-up for it
    const delivery = deliveryFor(source, topic, payloadText(source, name), { channel: CHANNEL });
    const body = delivery.body.kind === 'inline' ? delivery.body.data : '';
    let events: CanonicalEvent[] = [];
    try {
      events = adapt({ delivery, body });
    } catch (err) {
      if (!(err instanceof AdapterError && err.kind === 'ignored')) throw err;
    }
    const table = new MemoryTable();
    const setup = setupEvents(events, source);
    await applyEvents(table, setup, fixedClock());
    // stock Amazon holds in its fulfilment network (AFN:<marketplace>) is not the merchant's
    // warehouse: kept at its own locations; every other channel location id is WH-A
    const amazonHeld = locationIdsOf(events).filter((id) => id.startsWith('AFN:'));
    const locationMap = Object.fromEntries(
      locationIdsOf(events)
        .filter((id) => !amazonHeld.includes(id))
        .map((id) => [id, WAREHOUSE]),
    );
    const located = (id: string) => locationMap[id] ?? id;
    const channels = channelList([
      { channel: CHANNEL, allocation: {}, fulfilmentLocation: WAREHOUSE, locationMap: { ...locationMap } },
    ]);

    // Act
    const outcome = await normalizeMessage(JSON.stringify(delivery), {
      table,
      adapt,
      channels,
      loadBody: async () => Buffer.from(body),
      now: fixedClock(),
    });
    let foldOversells = 0;
    await foldMemory(table, { nowMs: Date.parse(TEST_NOW), onBatch: (r) => void (foldOversells += r.oversells) });

    // Assess: accepted, nothing made up, nothing negative, nothing counted as oversold
    expect(outcome.status, JSON.stringify(outcome)).not.toBe('quarantined');
    // a sample that changes nothing the hub keeps (an untracked item, a competitor's offer, an
    // account deletion) is acknowledged: ignored by topic, or applied with no event
    if (events.length === 0) expect(['ignored', 'noop']).toContain(outcome.status);
    const items = table.items();
    const balances = items.filter((it) => it.type === 'balance') as unknown as Balance[];
    for (const b of balances)
      expect([WAREHOUSE, UNASSIGNED_LOCATION, ...amazonHeld], `${b.sku} at ${b.location}`).toContain(b.location);
    for (const sku of new Set(balances.map((b) => b.sku))) {
      const { locations, unassignedReserved } = assignReservations(balances.filter((b) => b.sku === sku));
      for (const l of locations) expect(l.available, `${sku} at ${l.location}`).toBeGreaterThanOrEqual(0);
      const total = locations.reduce((n, l) => n + l.available, 0) - unassignedReserved;
      expect(total, `${sku} in total`).toBeGreaterThanOrEqual(0);
    }
    expect(foldOversells).toBe(0);
    for (const it of items) if (typeof it.oversells === 'number') expect(it.oversells, String(it.pk)).toBe(0);

    const at = (sku: string, location = WAREHOUSE) => balances.find((b) => b.sku === sku && b.location === location);
    const unassigned = (sku: string) =>
      balances.find((b) => b.sku === sku && b.location === UNASSIGNED_LOCATION)?.reserved ?? 0;
    for (const e of events) {
      if (e.type === 'StockLevelSet' && e.sku) expect(at(e.sku, located(e.locationId))?.onHand).toBe(e.quantity);
      if (e.type === 'StockAdjusted' && e.sku) expect(at(e.sku, located(e.locationId))?.onHand).toBe(COUNTED + e.delta);
      if (e.type === 'ListedQuantityReported' && e.sku) expect(at(e.sku)?.onHand).toBe(COUNTED);
    }
    const orders = events.filter((e): e is OrderUpserted => e.type === 'OrderUpserted');
    const undone = events.some((e) => e.type === 'OrderCancelled' || e.type === 'RefundRecorded');
    for (const o of orders) {
      const stored = items.find((it) => it.type === 'order' && it.orderId === o.orderId);
      expect(stored, `order ${o.orderId}`).toBeDefined();
      const units = new Map<string, number>();
      for (const l of o.lines) {
        const sku =
          l.sku ??
          (l.externalItemId
            ? at(skuForListing(l.externalItemId))
              ? skuForListing(l.externalItemId)
              : undefined
            : undefined);
        // units taken off the line before shipping (an edit, a cancelling refund) are neither held nor shipped
        if (sku) units.set(sku, (units.get(sku) ?? 0) + l.quantity - (l.removedQuantity ?? 0));
      }
      for (const [sku, ordered] of units) {
        const b = at(sku);
        const heldOrShipped = COUNTED - (b?.onHand ?? COUNTED) + (b?.reserved ?? 0) + unassigned(sku);
        expect(heldOrShipped, `${sku} of order ${o.orderId}`).toBeLessThanOrEqual(ordered);
        expect(heldOrShipped, `${sku} of order ${o.orderId}`).toBeGreaterThanOrEqual(0);
        const open = ['pending_payment', 'paid', 'processing', 'partially_fulfilled', 'on_hold', 'fulfilled'];
        if (!undone && open.includes(o.status) && !o.cancelledAt)
          expect(heldOrShipped, `${sku} of open order ${o.orderId}`).toBe(ordered);
      }
    }
  });
});
