import { describe, expect, it } from 'vitest';
import { SourceSchema, type Source } from '#shared/domain/connection.ts';
import { ADAPTER_HEADERS, adapt, adapterFor, checkedEvents } from '#shared/adapters/index.ts';
import { defineAdapter } from '#shared/adapters/common.ts';
import { AdapterError } from '#shared/adapters/types.ts';
import { inputFor, payload } from '#test/fixtures/payloads.ts';

describe('adapterFor / adapt', () => {
  it('has an adapter and a header list for every source', () => {
    for (const source of SourceSchema.options) {
      expect(typeof adapterFor(source)).toBe('function');
      expect(Array.isArray(ADAPTER_HEADERS[source])).toBe(true);
    }
  });

  it('refuses a source without an adapter as unknown-event', () => {
    expect(() => adapterFor('etsy' as Source)).toThrow(expect.objectContaining({ kind: 'unknown-event' }));
    expect(() => adapterFor('__proto__' as Source)).toThrow(AdapterError);
  });

  it('picks the adapter by the delivery source', () => {
    const events = adapt(inputFor('square', 'inventory.count.updated', payload('square', 'inventory-count-updated')));
    expect(events.every((e) => e.source === 'square' && e.type === 'StockLevelSet')).toBe(true);
  });

  it('checks produced events against the canonical schema and names the bad field', () => {
    // Prepare: what a buggy adapter might return
    const [good] = adapt(inputFor('square', 'inventory.count.updated', payload('square', 'inventory-count-updated')));
    const bad = { ...good, quantity: 2 ** 60 };
    // Act + Assess
    expect(checkedEvents('square', [good])).toEqual([good]);
    expect(() => checkedEvents('square', [good, bad])).toThrow(
      expect.objectContaining({
        kind: 'schema',
        message: expect.stringMatching(/invalid StockLevelSet event: events\[1\]\.quantity/),
      }),
    );
    expect(() => checkedEvents('square', [null])).toThrow(AdapterError);
  });

  it('refuses a Square count too large to be an exact integer', () => {
    const body = payload('square', 'inventory-count-updated');
    body.data.object.inventory_counts[0].quantity = '99999999999999999999';
    const input = inputFor('square', 'inventory.count.updated', body);
    expect(() => adapt(input)).toThrow(
      expect.objectContaining({ kind: 'schema', message: expect.stringMatching(/inventory_counts\[0\]\.quantity/) }),
    );
  });

  it('turns an unexpected exception inside an adapter into AdapterError(schema) with the cause', () => {
    // Prepare
    const bug = new TypeError('cannot read properties of undefined');
    const broken = defineAdapter('broken', () => {
      throw bug;
    });
    // Act
    let caught: unknown;
    try {
      broken(inputFor('shopify', 'orders/create', {}));
    } catch (error) {
      caught = error;
    }
    // Assess
    expect(caught).toBeInstanceOf(AdapterError);
    expect(caught).toMatchObject({
      kind: 'schema',
      cause: bug,
      message: expect.stringContaining('broken adapter failed'),
    });
  });

  it('is deterministic: the same delivery maps to the same events (a retry changes nothing)', () => {
    const input = inputFor('shopify', 'orders/create', payload('shopify', 'order-create'));
    expect(adapt(input)).toEqual(adapt(structuredClone(input)));
  });
});
