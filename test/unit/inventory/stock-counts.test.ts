import { describe, expect, it } from 'vitest';
import type { StockLevelSet } from '#shared/domain/events.ts';
import type { HttpError } from '#shared/http/errors.ts';
import { mapLimit, postCounts } from '#shared/inventory/stock-counts.ts';
import { apiKey } from './support.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');

function recorder(outcome: (e: StockLevelSet) => 'applied' | 'noop' = () => 'applied') {
  const events: StockLevelSet[] = [];
  return { events, deps: { now: () => NOW, applyCount: async (e: StockLevelSet) => (events.push(e), outcome(e)) } };
}

const row = (over: Record<string, unknown> = {}) => ({
  sku: 'SKU-1',
  location: 'WH-A',
  onHand: 5,
  asOf: '2026-03-01T11:00:00Z',
  ...over,
});

describe('postCounts', () => {
  it('turns each valid row into the StockLevelSet a stock.set webhook makes', async () => {
    // Prepare
    const { deps, events } = recorder();
    // Act
    const result = await postCounts(deps, apiKey({ scopes: ['stock:write'] }), { counts: [row()] }, { requestId: 'r' });
    // Assess
    expect(result).toEqual({ applied: 1, unchanged: 0, rows: [] });
    expect(events).toEqual([
      expect.objectContaining({
        type: 'StockLevelSet',
        channel: 'wms',
        sku: 'SKU-1',
        locationId: 'WH-A',
        quantity: 5,
        bucket: 'on_hand',
        asOf: '2026-03-01T11:00:00.000Z',
      }),
    ]);
  });

  it('reports invalid rows by index and applies the rest', async () => {
    // Prepare
    const { deps, events } = recorder((e) => (e.sku === 'SAME' ? 'noop' : 'applied'));
    const counts = [
      row(),
      row({ onHand: -1 }),
      row({ sku: 'SAME' }),
      row({ asOf: 'soon' }),
      'junk',
      row({ asOf: '2026-03-02T00:00:00Z' }),
      row({ sku: 'A#B' }),
    ];
    // Act
    const result = await postCounts(deps, apiKey(), { counts }, { requestId: 'r' });
    // Assess
    expect(result.applied).toBe(1);
    expect(result.unchanged).toBe(1);
    expect(result.rows.map((r) => r.row)).toEqual([1, 3, 4, 5, 6]);
    expect(result.rows.find((r) => r.row === 5)?.reason).toMatch(/future/);
    expect(events).toHaveLength(2);
  });

  it('numbers rows from 0, and a re-post of a 400 body (fixed or not) gives its valid rows the same ids, so they apply once', async () => {
    // Prepare: row 1 is bad; the client re-posts the whole body with row 1 fixed
    const first = recorder();
    const second = recorder();
    const counts = [row(), row({ sku: 'SKU-2', onHand: -1 }), row({ sku: 'SKU-3' })];
    // Act
    const once = await postCounts(first.deps, apiKey(), { counts }, { requestId: 'r1' });
    await postCounts(
      second.deps,
      apiKey(),
      { counts: counts.map((c, i) => (i === 1 ? row({ sku: 'SKU-2' }) : c)) },
      { requestId: 'r2' },
    );
    // Assess
    expect(once.rows.map((r) => r.row)).toEqual([1]);
    expect(once.applied).toBe(2);
    const ids = (events: StockLevelSet[]) => new Map(events.map((e) => [e.sku, e.deliveryId]));
    expect(ids(second.events).get('SKU-1')).toBe(ids(first.events).get('SKU-1'));
    expect(ids(second.events).get('SKU-3')).toBe(ids(first.events).get('SKU-3'));
  });

  it('reports rows counting one balance at one time with different numbers, and applies neither', async () => {
    // Prepare: rows 0 and 2 disagree (the same time written two ways); row 3 repeats row 1 exactly
    const { deps, events } = recorder();
    const counts = [
      row({ onHand: 5 }),
      row({ sku: 'SKU-2' }),
      row({ onHand: 7, asOf: '2026-03-01T11:00:00.000Z' }),
      row({ sku: 'SKU-2' }),
    ];
    // Act
    const result = await postCounts(deps, apiKey(), { counts }, { requestId: 'r' });
    // Assess
    expect(result.rows).toEqual([
      { row: 0, reason: expect.stringMatching(/^conflicts with row 2: same sku, location and asOf/) },
      { row: 2, reason: expect.stringMatching(/^conflicts with row 0/) },
    ]);
    expect(events.map((e) => [e.sku, e.quantity])).toEqual([
      ['SKU-2', 5],
      ['SKU-2', 5],
    ]);
  });

  it.each([
    ['over 1000 rows', { counts: Array.from({ length: 1001 }, () => row()) }, 413],
    ['no counts array', { rows: [] }, 400],
    ['not an object', [row()], 400],
  ])('refuses %s', async (_name, body, status) => {
    // Prepare
    const { deps, events } = recorder();
    // Act
    const err = await postCounts(deps, apiKey(), body, { requestId: 'r' }).catch((e: unknown) => e);
    // Assess
    expect((err as HttpError).statusCode).toBe(status);
    expect(events).toHaveLength(0);
  });

  it('refuses the whole batch when a partner key names a location that is not its own', async () => {
    // Prepare
    const { deps, events } = recorder();
    const partner = apiKey({ partner: 'acme', locations: ['WH-P'], scopes: ['stock:write'] });
    // Act
    const err = (await postCounts(
      deps,
      partner,
      { counts: [row({ location: 'WH-P' }), row({ location: 'WH-X' })] },
      { requestId: 'r' },
    ).catch((e: unknown) => e)) as HttpError;
    // Assess
    expect(err.statusCode).toBe(403);
    expect(err.details).toEqual({ rows: [{ row: 1, reason: "location WH-X is not this key's" }] });
    expect(events).toHaveLength(0);
  });

  it("records a partner key's counts under its partner", async () => {
    // Prepare
    const { deps, events } = recorder();
    const partner = apiKey({ partner: 'acme', locations: ['WH-P'] });
    // Act
    await postCounts(deps, partner, { counts: [row({ location: 'WH-P' })] }, { requestId: 'r' });
    const other = await postCounts(
      deps,
      partner,
      { channel: 'someone-else', counts: [row({ location: 'WH-P' })] },
      { requestId: 'r' },
    ).catch((e: unknown) => e);
    // Assess
    expect(events.map((e) => e.channel)).toEqual(['acme']);
    expect((other as HttpError).statusCode).toBe(403);
  });

  it('answers 503 (safe to resend) when the table fails some rows', async () => {
    // Prepare
    const deps = {
      now: () => NOW,
      applyCount: async (e: StockLevelSet) =>
        e.sku === 'BAD' ? Promise.reject(new Error('throttled')) : ('applied' as const),
    };
    // Act
    const err = (await postCounts(deps, apiKey(), { counts: [row(), row({ sku: 'BAD' })] }, { requestId: 'r' }).catch(
      (e: unknown) => e,
    )) as HttpError;
    // Assess
    expect(err.statusCode).toBe(503);
    expect(err.details).toEqual({ failedRows: [1], applied: 1, unchanged: 0 });
  });
});

describe('mapLimit', () => {
  it('keeps at most `limit` calls in flight and results in input order', async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 50 }, (_, i) => i);
    // Act
    const out = await mapLimit(items, 16, async (i) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 1 + (i % 3)));
      inFlight--;
      return i * 2;
    });
    // Assess
    expect(peak).toBe(16);
    expect(out.map((r) => (r.status === 'fulfilled' ? r.value : -1))).toEqual(items.map((i) => i * 2));
  });
});
