import { describe, expect, it } from 'vitest';
import { adapt } from '#shared/adapters/index.ts';
import { AdapterError } from '#shared/adapters/types.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { measuresOf, sumsOfItem } from '#shared/kpi/measures.ts';
import { applyEvents } from '#shared/normalize/apply.ts';
import { foldStreamBatch, resolveRollupZone } from '#shared/stream/fold-apply.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { inputFor, payloadText } from '#test/fixtures/payloads.ts';
import { fixedClock, fixedMsClock, TEST_NOW } from '../../support/clock.ts';

/**
 * Shopify draft orders (test/fixtures/payloads/shopify/README.md says which published resource
 * each fixture mirrors): a completed draft is a sales cycle from its creation to its completion.
 */
function adaptDraft(topic: string, text: string): CanonicalEvent[] {
  return adapt(inputFor('shopify', topic, text, { receivedAt: TEST_NOW }));
}

const COMPLETED = () => payloadText('shopify', 'draft-order-update-completed');
const CYCLE_SECONDS = 6 * 86400 + 4 * 3600 + 18 * 60 + 24;

async function foldAll(table: MemoryTable, from: number): Promise<number> {
  const deps = {
    table,
    rollupZone: () => resolveRollupZone(table, 'UTC'),
    now: fixedMsClock(),
    channels: { list: async () => [] },
    publisher: { publish: async () => {} },
  };
  let pos = from;
  for (;;) {
    const { changes, next } = table.streamFrom(pos, 10);
    if (changes.length === 0) return pos;
    await foldStreamBatch(deps, 'shardId-00000001763900000000-abcdef01', changes);
    pos = next;
  }
}

describe('shopify draft orders', () => {
  it('draft_orders/update of a completed draft maps its creation and completion, ids as sent', () => {
    // Act
    const events = adaptDraft('draft_orders/update', COMPLETED());

    // Assess
    expect(events).toEqual([
      expect.objectContaining({
        type: 'SalesCycleRecorded',
        draftId: '1098765432101',
        orderId: '5873401299057',
        startedAt: '2026-02-26T10:12:45-05:00',
        endedAt: '2026-03-04T14:31:09-05:00',
        occurredAt: '2026-03-04T14:31:10-05:00',
      }),
    ]);
  });

  it.each([
    ['draft_orders/create', payloadText('shopify', 'draft-order-create-open')],
    ['draft_orders/update', COMPLETED().replace('"status": "completed"', '"status": "invoice_sent"')],
  ])('%s of a draft not yet completed is acknowledged as ignored', (topic, text) => {
    // Act
    const thrown = (() => {
      try {
        adaptDraft(topic, text);
      } catch (err) {
        return err;
      }
    })();

    // Assess
    expect(thrown).toBeInstanceOf(AdapterError);
    expect(thrown).toMatchObject({ kind: 'ignored', topic });
  });

  it('counts one quoted sale where the draft completed, once however often and in whatever order it arrives', async () => {
    // Prepare: the completed draft twice, with an open version of it between
    const completed = adaptDraft('draft_orders/update', COMPLETED());
    const open = (() => {
      try {
        return adaptDraft('draft_orders/create', payloadText('shopify', 'draft-order-create-open'));
      } catch {
        return [];
      }
    })();
    const table = new MemoryTable();

    // Act
    await applyEvents(table, completed, fixedClock());
    let pos = await foldAll(table, 0);
    await applyEvents(table, open, fixedClock());
    await applyEvents(table, completed, fixedClock());
    pos = await foldAll(table, pos);

    // Assess
    const march = table.items().find((it) => it.type === 'kpi-month' && it.month === '2026-03')!;
    expect(measuresOf(sumsOfItem(march)).salesCycle).toEqual({
      quotedOrders: 1,
      meanDays: Math.round((CYCLE_SECONDS / 86400) * 100) / 100,
    });
    expect(sumsOfItem(march).cycleSeconds).toBe(CYCLE_SECONDS);
    expect(table.items().filter((it) => it.type === 'draft')).toHaveLength(1);
    expect(table.items().filter((it) => it.type === 'order')).toEqual([]);
  });
});
