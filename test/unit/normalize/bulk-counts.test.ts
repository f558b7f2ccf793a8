import { describe, expect, it } from 'vitest';
import { MAX_BULK_COUNTS } from '#shared/adapters/hub.adapter.ts';
import { applyEvents } from '#shared/normalize/apply.ts';
import type { StockLevelSet } from '#shared/domain/events.ts';
import { keys } from '#shared/table/keys.ts';
import type { WriteOp } from '#shared/table/port.ts';
import { fixedClock } from '#test/support/clock.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { normalizeOn, queued } from './support.ts';

const bulk = (n: number) => ({
  type: 'stock.set',
  timestamp: '2026-03-02T09:30:00Z',
  data: { counts: Array.from({ length: n }, (_, i) => ({ sku: `SKU-${i}`, location: 'WH-A', onHand: i })) },
});

/** A memory table whose writes take a moment, counting how many are under way at once. */
class SlowTable extends MemoryTable {
  inFlight = 0;
  maxInFlight = 0;
  override async write(ops: WriteOp[]): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, 2));
    try {
      await super.write(ops);
    } finally {
      this.inFlight--;
    }
  }
}

describe('a warehouse\u2019s bulk stock.set', () => {
  it('applies its counts a few at a time, each once', async () => {
    // Prepare
    const t = new SlowTable();
    const counts: StockLevelSet[] = Array.from({ length: 40 }, (_, i) => ({
      type: 'StockLevelSet',
      channel: 'wms',
      source: 'standard-webhooks',
      deliveryId: 'd',
      occurredAt: '2026-03-02T09:30:00Z',
      sku: `SKU-${i}`,
      locationId: 'WH-A',
      quantity: i + 1,
      bucket: 'on_hand',
      asOf: '2026-03-02T09:30:00Z',
    }));
    // Act
    const first = await applyEvents(t, counts, fixedClock());
    const again = await applyEvents(t, counts, fixedClock());
    // Assess
    expect([first, again]).toEqual([40, 0]);
    expect(t.maxInFlight).toBeGreaterThan(1);
    expect(t.maxInFlight).toBeLessThanOrEqual(8);
    expect((await t.get(keys.balance('SKU-39', 'WH-A')))?.onHand).toBe(40);
  });

  it(`takes up to ${MAX_BULK_COUNTS} counts and quarantines a bigger bulk whole, applying none of it`, async () => {
    // Prepare
    const t = new MemoryTable();
    // Act
    const ok = await normalizeOn(t, queued('standard-webhooks', 'stock.set', bulk(MAX_BULK_COUNTS), 'wms'));
    const tooBig = await normalizeOn(
      t,
      queued(
        'standard-webhooks',
        'stock.set',
        {
          ...bulk(MAX_BULK_COUNTS + 1),
          data: { counts: bulk(MAX_BULK_COUNTS + 1).data.counts.map((c) => ({ ...c, location: 'WH-B' })) },
        },
        'wms',
      ),
    );
    // Assess
    expect(ok).toMatchObject({ status: 'applied', applied: MAX_BULK_COUNTS });
    expect(tooBig).toMatchObject({ status: 'quarantined', reason: 'schema' });
    expect(await t.get(keys.balance('SKU-0', 'WH-B'))).toBeUndefined();
  });
});
