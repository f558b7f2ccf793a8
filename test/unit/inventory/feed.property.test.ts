import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrderUpserted, StockLevelSet } from '#shared/domain/events.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { readFeed, type FeedPage } from '#shared/inventory/stock-read.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { EVENT_BASE, orderUpserted } from '#test/fixtures/events.ts';
import { foldMemory } from '../../../bench/memory-fold.ts';
import { apiKey, tableStockRead } from './support.ts';

/**
 * Whatever the interleaving of orders, counts, fold batches (of any size) and a reader paging the
 * delta feed with small limits, the reader ends up holding every balance's final state: keeping,
 * per balance, the copy with the highest `rev` it was served.
 */

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const SETTLE_MS = 1000;

const step = fc.oneof(
  fc.record({
    kind: fc.constant('order' as const),
    sku: fc.constantFrom('A', 'B', 'C'),
    location: fc.constantFrom('W1', 'W2'),
    quantity: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({
    kind: fc.constant('count' as const),
    sku: fc.constantFrom('A', 'B', 'C'),
    location: fc.constantFrom('W1', 'W2'),
    quantity: fc.integer({ min: 0, max: 50 }),
  }),
  fc.record({ kind: fc.constant('fold' as const), batchSize: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('read' as const), limit: fc.integer({ min: 1, max: 3 }) }),
);

describe('the delta feed (property)', () => {
  it('serves every balance its final state, whatever the interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        // Prepare
        const t = new MemoryTable();
        t.recordCounted = true;
        const stock = tableStockRead(t);
        const clock = { ms: T0 };
        const key = apiKey();
        const held = new Map<string, FeedPage['items'][number]>();
        let query: Record<string, string> = { updatedSince: new Date(T0 - 60_000).toISOString() };
        let position = 0;
        const read = async (limit: number) => {
          const page = await readFeed(
            { stock },
            key,
            { ...query, limit: String(limit) },
            {
              settleMs: SETTLE_MS,
              now: () => new Date(clock.ms),
            },
          );
          for (const r of page.items) {
            const id = `${r.sku}@${r.location}`;
            const h = held.get(id);
            if (!h || r.rev > h.rev) held.set(id, r);
          }
          query = { cursor: page.nextCursor };
          return page;
        };
        // Act
        for (const [i, s] of steps.entries()) {
          clock.ms += 200;
          const now = () => new Date(clock.ms);
          if (s.kind === 'order') {
            const order: OrderUpserted = orderUpserted({
              orderId: `o${i}`,
              lines: [{ lineId: 'l1', sku: s.sku, quantity: s.quantity, locationId: s.location }],
            });
            await applyEvent(t, order, now);
          } else if (s.kind === 'count') {
            const count: StockLevelSet = {
              ...EVENT_BASE,
              type: 'StockLevelSet',
              sku: s.sku,
              locationId: s.location,
              quantity: s.quantity,
              bucket: 'on_hand',
              asOf: new Date(clock.ms - 100).toISOString(),
            };
            await applyEvent(t, count, now);
          } else if (s.kind === 'fold') {
            position = await foldMemory(t, { position, batchSize: s.batchSize, nowMs: clock.ms });
          } else await read(s.limit);
        }
        // every change folded, then read until caught up past the settle window
        clock.ms += 200;
        await foldMemory(t, { position, nowMs: clock.ms });
        clock.ms += SETTLE_MS + 1;
        for (let n = 0; n < 200 && (await read(3)).hasMore; n++);
        // Assess
        const balances = t.items().filter((it) => it.type === 'balance');
        expect(new Set(held.keys())).toEqual(new Set(balances.map((b) => `${b.sku}@${b.location}`)));
        for (const b of balances)
          expect(held.get(`${b.sku}@${b.location}`)).toMatchObject({
            rev: b.rev,
            onHand: b.onHand,
            reserved: b.reserved,
            available: b.available,
          });
      }),
      { numRuns: 60 },
    );
  });
});
