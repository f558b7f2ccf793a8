import { describe, expect, it } from 'vitest';
import type { ListingMapped, OrderUpserted } from '#shared/domain/events.ts';
import { applyEvent, applyEvents } from '#shared/normalize/apply.ts';
import { keys } from '#shared/table/keys.ts';
import { UNASSIGNED_LOCATION } from '#shared/inventory/locations.ts';
import { fixedClock, TEST_NOW } from '#test/support/clock.ts';
import { foldMemory } from '../../../bench/memory-fold.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';

const base = { channel: 'woo', source: 'woocommerce', deliveryId: 'd1', occurredAt: '2026-03-01T10:00:00.000Z' };
const clock = fixedClock();

const order: OrderUpserted = {
  ...base,
  type: 'OrderUpserted',
  orderId: '727',
  status: 'processing',
  rawStatus: {},
  createdAt: '2026-03-01T10:00:00.000Z',
  version: { at: '2026-03-01T10:00:00.000Z' },
  lines: [
    { lineId: '315', externalItemId: 'product:93', quantity: 2, locationId: 'WH-A' },
    { lineId: '316', sku: 'HOODIE', quantity: 1, locationId: 'WH-A' },
  ],
};
const mapping: ListingMapped = {
  ...base,
  deliveryId: 'd2',
  type: 'ListingMapped',
  externalId: 'product:93',
  sku: 'SINGLE',
  at: '2026-03-02T00:00:00.000Z',
};

async function reserved(t: MemoryTable, sku: string): Promise<unknown> {
  await foldMemory(t, { nowMs: Date.parse(TEST_NOW) });
  return (await t.get(keys.balance(sku, 'WH-A')))?.reserved;
}

describe('a line whose listing is mapped after its order', () => {
  it('takes effect once the mapping comes, exactly as if the mapping had come first', async () => {
    // Prepare
    const late = new MemoryTable();
    const early = new MemoryTable();
    // Act: the order first, then its mapping (twice, as a redelivery)
    await applyEvents(late, [order], clock);
    const before = await reserved(late, 'SINGLE');
    const first = await applyEvent(late, mapping, clock);
    const again = await applyEvent(late, mapping, clock);
    // and the other way round
    await applyEvent(early, mapping, clock);
    await applyEvents(early, [order], clock);
    // Assess
    expect(before).toBeUndefined();
    expect([first, again]).toEqual(['applied', 'noop']);
    expect(await reserved(late, 'SINGLE')).toBe(2);
    expect(await reserved(early, 'SINGLE')).toBe(2);
    const lines = async (t: MemoryTable) =>
      ((await t.get(keys.order('woo', '727')))?.state as { lines: unknown[] }).lines;
    expect(await lines(late)).toEqual(await lines(early));
    expect(await lines(late)).toContainEqual({ lineId: '315', sku: 'SINGLE', qty: 2, location: 'WH-A' });
  });

  it('leaves a line whose listing is still unknown waiting, with no stock effect anywhere', async () => {
    // Prepare
    const t = new MemoryTable();
    // Act
    await applyEvents(
      t,
      [order, { ...order, deliveryId: 'd3', lines: [{ lineId: '315', externalItemId: 'product:93', quantity: 2 }] }],
      clock,
    );
    await applyEvent(t, { ...mapping, externalId: 'product:94' }, clock);
    await foldMemory(t, { nowMs: Date.parse(TEST_NOW) });
    // Assess
    expect(t.items().filter((it) => String(it.pk).startsWith('SKU#UNMAPPED'))).toEqual([]);
    expect(await t.get(keys.balance(`UNMAPPED:product:93`, UNASSIGNED_LOCATION))).toBeUndefined();
    expect(await t.get(keys.listingWaiter('woo', 'product:93', '727'))).toBeDefined();
  });
});
