import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ListedQuantityReported, SalesCycleRecorded } from '#shared/domain/events.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { keys } from '#shared/table/keys.ts';
import type { TablePort } from '#shared/table/port.ts';
import { withStaleReads } from '#test/support/stale-reads.ts';
import { fixedClock } from '../../support/clock.ts';
import { freshTable } from '../../support/table.ts';
import { propertyRuns } from '../../support/property-runs.ts';

const clock = fixedClock();
const SKU = 'SKU-1';
const LISTED_CHANNEL = 'amazon-us';
const DRAFT_CHANNEL = 'shopify-us';
const DRAFT_ID = '994118539';
const BASE = Date.parse('2026-09-01T00:00:00.000Z');
const at = (minute: number) => new Date(BASE + minute * 60_000).toISOString();

/** Amazon's listed quantity for one SKU, as the adapter makes it from a LISTINGS_ITEM notification. */
function listed(minute: number, quantity: number): ListedQuantityReported {
  return {
    type: 'ListedQuantityReported',
    channel: LISTED_CHANNEL,
    source: 'amazon',
    deliveryId: `dlv_listed_${minute}`,
    occurredAt: at(minute),
    sku: SKU,
    quantity,
    fulfillmentChannel: 'DEFAULT',
    asOf: at(minute),
  };
}

/** One draft's completion, as the Shopify adapter makes it from draft_orders/update (one order it became). */
function draft(i: number, start: number, end: number): SalesCycleRecorded {
  return {
    type: 'SalesCycleRecorded',
    channel: DRAFT_CHANNEL,
    source: 'shopify',
    deliveryId: `dlv_draft_${i}`,
    occurredAt: at(start + end),
    draftId: DRAFT_ID,
    orderId: '820982911946154508',
    startedAt: at(start),
    endedAt: at(start + end),
  };
}

async function state(table: TablePort) {
  const [l, d] = await Promise.all([
    table.get(keys.listed(SKU, LISTED_CHANNEL)),
    table.get(keys.draft(DRAFT_CHANNEL, DRAFT_ID)),
  ]);
  return { listed: l, draft: d };
}

/**
 * The reads normalize makes eventually consistent (half a read unit) where the write that follows
 * is conditional on what was read: a listed quantity's `asOf` and a draft's times. Stale reads,
 * redeliveries, any arrival order and concurrent writers of one item end in the item one in-order
 * pass writes: a stale read costs a failed condition and a strongly consistent retry, never a
 * different item.
 */
describe('eventually consistent reads guarded by the write condition', () => {
  it('listed quantities and sales cycles converge with stale reads, duplicates, shuffling and concurrent writers', async () => {
    let staleServed = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ minute: fc.integer({ min: 0, max: 600 }), quantity: fc.nat(500) }), {
          selector: (r) => r.minute,
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(fc.record({ start: fc.integer({ min: 0, max: 600 }), length: fc.integer({ min: 0, max: 600 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 16, maxLength: 16 }),
        fc.integer(),
        async (reports, drafts, repeats, seed) => {
          // Prepare: the reference applies each distinct event once, in order, with consistent reads
          const events = [
            ...reports.map((r) => listed(r.minute, r.quantity)),
            ...drafts.map((d, i) => draft(i, d.start, d.length)),
          ];
          const reference = await freshTable('guard-ref');
          for (const e of events) await applyEvent(reference.table, e, clock);

          const subject = await freshTable('guard-sut');
          let s = seed >>> 0 || 1;
          const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
          const table = withStaleReads(subject.table, rand, 0.5);
          const queue = events.flatMap((e, i) => Array.from({ length: repeats[i % repeats.length]! }, () => e));
          for (let i = queue.length - 1; i > 0; i--) {
            const j = Math.floor(rand() * (i + 1));
            [queue[i], queue[j]] = [queue[j]!, queue[i]!];
          }

          // Act: two or three deliveries at a time race for the same items; one that runs out of
          // conflict retries goes back to the queue, as SQS redelivers it
          let rounds = 0;
          while (queue.length > 0) {
            const batch = queue.splice(0, 2 + Math.floor(rand() * 2));
            const results = await Promise.allSettled(batch.map((e) => applyEvent(table, e, clock)));
            results.forEach((r, k) => {
              if (r.status === 'rejected') queue.push(batch[k]!);
            });
            if (++rounds > 500) throw new Error('did not converge');
          }

          // Assess: the same items as the in-order pass
          staleServed += table.staleServed;
          const [want, got] = await Promise.all([state(reference.table), state(subject.table)]);
          await Promise.all([reference.drop(), subject.drop()]);
          expect(got).toEqual(want);
        },
      ),
      { numRuns: propertyRuns(25), endOnFailure: true },
    );
    // stale answers were served (a first read of a changed item), and changed nothing above
    expect(staleServed).toBeGreaterThan(0);
  }, 600_000);
});
