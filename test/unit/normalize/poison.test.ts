import { describe, expect, it } from 'vitest';
import { MAX_ORDER_LINES } from '#shared/domain/events.ts';
import { keys } from '#shared/table/keys.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { hub, hubOrder, normalizeOn, queued } from './support.ts';

const reasonOf = (o: Awaited<ReturnType<typeof normalizeOn>>) => (o.status === 'quarantined' ? o.reason : o.status);

describe("normalizer: poison that passes the senders' schemas is quarantined, not retried into the DLQ", () => {
  it('quarantines a stock.set whose 2 KB SKU the table would refuse', async () => {
    // Prepare
    const t = new MemoryTable();

    // Act
    const out = await normalizeOn(
      t,
      queued(
        'standard-webhooks',
        'stock.set',
        hub('stock.set', { sku: 'S'.repeat(2048), location: 'WH-1', onHand: 1 }),
      ),
    );

    // Assess
    expect(reasonOf(out)).toBe('invalid-key');
    expect(t.size).toBe(1);
  });

  it('quarantines an order whose total is above 2^53 minor units, naming the field', async () => {
    // Prepare
    const t = new MemoryTable();

    // Act
    const out = await normalizeOn(
      t,
      queued(
        'standard-webhooks',
        'order.upserted',
        hubOrder('7', [{ sku: 'MUG', quantity: 1 }], { total: '100000000000000' }),
      ),
    );

    // Assess
    expect(reasonOf(out)).toBe('schema');
    expect(out.status === 'quarantined' && out.message).toMatch(/data\.total: at most 12 integer digits/);
    expect(await t.get(keys.order('shop', '7'))).toBeUndefined();
  });

  it('quarantines a 12,000-line order and a line of more than a billion units', async () => {
    // Prepare
    const t = new MemoryTable();
    const many = Array.from({ length: 12_000 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 }));

    // Act
    const big = await normalizeOn(t, queued('standard-webhooks', 'order.upserted', hubOrder('8', many)));
    const huge = await normalizeOn(
      t,
      queued('standard-webhooks', 'order.upserted', hubOrder('9', [{ sku: 'MUG', quantity: 2 ** 53 }])),
    );

    // Assess
    expect([reasonOf(big), reasonOf(huge)]).toEqual(['schema', 'schema']);
    expect(big.status === 'quarantined' && big.message).toMatch(new RegExp(`lines.*${MAX_ORDER_LINES}`));
    expect(huge.status === 'quarantined' && huge.message).toMatch(/quantity/);
  });

  it("quarantines an order the table refuses as too big (an item over 400 KB) with the table's reason", async () => {
    // Prepare: within the line limit, but every line id is 1,000 characters
    const t = new MemoryTable();
    const lines = Array.from({ length: MAX_ORDER_LINES }, (_, i) => ({
      sku: `SKU-${i}`,
      quantity: 1,
      lineId: `${i}-${'l'.repeat(1000)}`,
    }));

    // Act
    const out = await normalizeOn(t, queued('standard-webhooks', 'order.upserted', hubOrder('10', lines)));

    // Assess
    expect(reasonOf(out)).toBe('table-rejected');
    expect(out.status === 'quarantined' && out.message).toMatch(/Item size has exceeded/);
    expect(await t.get(keys.order('shop', '10'))).toBeUndefined();
  });
});

describe('webhook stock.set and the counts API: one rule for counts', () => {
  it('quarantines a negative on-hand count, as POST /v1/stock/counts refuses it', async () => {
    // Prepare
    const t = new MemoryTable();

    // Act
    const out = await normalizeOn(
      t,
      queued('standard-webhooks', 'stock.set', hub('stock.set', { sku: 'MUG', location: 'WH-1', onHand: -5 })),
    );

    // Assess
    expect(reasonOf(out)).toBe('schema');
    expect(out.status === 'quarantined' && out.message).toMatch(/onHand/);
    expect(await t.get(keys.balance('MUG', 'WH-1'))).toBeUndefined();
  });
});
