import { describe, expect, it } from 'vitest';
import { keys } from '#shared/table/keys.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { hub, normalizeOn, queued } from './support.ts';

const adjust = (timestamp: string, over: Record<string, unknown> = {}) =>
  hub(
    'stock.adjusted',
    { sku: 'MUG', location: 'WH-1', delta: -2, reason: 'damage', idempotencyKey: 'wms-adj-1', ...over },
    timestamp,
  );

describe('hub stock.adjusted: once per (channel, idempotencyKey)', () => {
  it('applies a movement resent with another envelope timestamp once', async () => {
    // Prepare
    const t = new MemoryTable();
    await normalizeOn(
      t,
      queued(
        'standard-webhooks',
        'stock.set',
        hub('stock.set', { sku: 'MUG', location: 'WH-1', onHand: 10, asOf: '2026-09-15T08:00:00Z' }),
      ),
    );

    // Act
    const first = await normalizeOn(t, queued('standard-webhooks', 'stock.adjusted', adjust('2026-09-15T10:00:00Z')));
    const resent = await normalizeOn(t, queued('standard-webhooks', 'stock.adjusted', adjust('2026-09-15T10:07:00Z')));
    const explicitAt = await normalizeOn(
      t,
      queued('standard-webhooks', 'stock.adjusted', adjust('2026-09-15T10:09:00Z', { at: '2026-09-15T09:59:00Z' })),
    );

    // Assess
    expect([first.status, resent.status, explicitAt.status]).toEqual(['applied', 'noop', 'noop']);
    expect((await t.get(keys.balance('MUG', 'WH-1')))?.onHand).toBe(8);
  });

  it('keeps the same idempotency key of two channels apart', async () => {
    // Prepare
    const t = new MemoryTable();

    // Act
    await normalizeOn(t, queued('standard-webhooks', 'stock.adjusted', adjust('2026-09-15T10:00:00Z'), 'wms-a'));
    await normalizeOn(t, queued('standard-webhooks', 'stock.adjusted', adjust('2026-09-15T10:00:00Z'), 'wms-b'));

    // Assess
    expect((await t.get(keys.balance('MUG', 'WH-1')))?.onHand).toBe(-4);
  });
});
