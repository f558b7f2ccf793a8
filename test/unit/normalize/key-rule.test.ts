import { describe, expect, it } from 'vitest';
import { keys } from '#shared/table/keys.ts';
import { KEY_PART_MAX_BYTES, keyPartProblem } from '#shared/domain/key-part.ts';
import { KeyPartSchema } from '#shared/domain/key-part-schema.ts';
import { ConnectionSchema } from '#shared/domain/connection.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { foldAll, hub, hubOrder, normalizeOn, queued } from './support.ts';

describe('key part rule', () => {
  it('accepts ordinary ids and refuses "#", "|", control characters, empty and over-long values', () => {
    // Prepare
    const good = [
      'MUG-BLUE-350',
      'WH 1',
      'inventory_item:4711',
      '123-1234567-1234567',
      'Kaffeebecher-größe-M',
      'a'.repeat(KEY_PART_MAX_BYTES),
    ];
    const bad = [
      'WH-1#2099',
      'MUG|WH-1',
      'a\nb',
      'tab\there',
      '',
      'a'.repeat(KEY_PART_MAX_BYTES + 1),
      'ü'.repeat(KEY_PART_MAX_BYTES / 2 + 1),
    ];

    // Act
    const fn = { good: good.map(keyPartProblem), bad: bad.map(keyPartProblem) };
    const schema = {
      good: good.map((v) => KeyPartSchema.safeParse(v).success),
      bad: bad.map((v) => KeyPartSchema.safeParse(v).success),
    };

    // Assess: the function and the schema agree on every value
    expect(fn.good).toEqual(good.map(() => undefined));
    expect(fn.bad.every((p) => typeof p === 'string')).toBe(true);
    expect(schema.good).toEqual(good.map(() => true));
    expect(schema.bad).toEqual(bad.map(() => false));
  });

  it('refuses a connection whose channel breaks the rule', () => {
    // Act
    const res = ConnectionSchema.safeParse({
      id: 'mkt-eu',
      source: 'standard-webhooks',
      channel: 'mkt#eu',
      secret: 'whsec_x',
    });

    // Assess
    expect(res.success).toBe(false);
  });
});

describe('normalizer: key parts of webhook events', () => {
  it('quarantines an order line whose ~2,100-character SKU would stall the fold, and stores no order', async () => {
    // Prepare
    const t = new MemoryTable();
    const sku = 'X'.repeat(2100);

    // Act
    const out = await normalizeOn(
      t,
      queued('standard-webhooks', 'order.upserted', hubOrder('7', [{ sku, quantity: 1, locationId: 'WH-1' }])),
    );

    // Assess
    expect(out).toMatchObject({ status: 'quarantined', reason: 'invalid-key' });
    expect(out.status === 'quarantined' && out.message).toMatch(/lines\[0\]\.sku: must be at most 128 bytes/);
    expect(await t.get(keys.order('shop', '7'))).toBeUndefined();
    expect(t.streamLength).toBe(0);
  });

  it('quarantines a stock.adjusted at location "WH-1#2099…" instead of counting it again at WH-1', async () => {
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
    const out = await normalizeOn(
      t,
      queued(
        'standard-webhooks',
        'stock.adjusted',
        hub('stock.adjusted', {
          sku: 'MUG',
          location: 'WH-1#2099-01-01',
          delta: 5,
          reason: 'receipt',
          idempotencyKey: 'k1',
        }),
      ),
    );

    // Assess
    expect(out).toMatchObject({ status: 'quarantined', reason: 'invalid-key' });
    expect(out.status === 'quarantined' && out.message).toMatch(/locationId: must not contain "#"/);
    expect((await t.get(keys.balance('MUG', 'WH-1')))?.onHand).toBe(10);
  });

  it('keeps channels apart: a delivery on channel "mkt#eu" is quarantined instead of merging into mkt\'s orders', async () => {
    // Prepare
    const t = new MemoryTable();
    await normalizeOn(
      t,
      queued('standard-webhooks', 'order.upserted', hubOrder('eu#7', [{ sku: 'MUG', quantity: 1 }]), 'mkt'),
    );

    // Act
    const out = await normalizeOn(
      t,
      queued('standard-webhooks', 'order.upserted', hubOrder('7', [{ sku: 'MUG', quantity: 2 }]), 'mkt#eu'),
    );

    // Assess: neither is stored under ORDER#mkt#eu#7
    expect(out).toMatchObject({ status: 'quarantined', reason: 'invalid-key' });
    expect(await t.get({ pk: 'ORDER#mkt#eu#7', sk: 'META' })).toBeUndefined();
  });

  it('quarantines SKUs, locations and order ids with "|" or control characters, and applies the ones that follow the rule', async () => {
    // Prepare
    const t = new MemoryTable();
    const payloads = [
      hubOrder('1', [{ sku: 'MUG|WH-1', quantity: 3 }]),
      hubOrder('2', [{ sku: 'MUG', quantity: 3, locationId: 'WH\u00001' }]),
      hubOrder('3\n', [{ sku: 'MUG', quantity: 3 }]),
      hubOrder('4', [{ sku: 'MUG', quantity: 1, locationId: 'WH-1' }]),
    ];

    // Act
    const outs = [];
    for (const p of payloads) outs.push(await normalizeOn(t, queued('standard-webhooks', 'order.upserted', p)));
    await foldAll(t);

    // Assess
    expect(outs.map((o) => (o.status === 'quarantined' ? o.reason : o.status))).toEqual([
      'invalid-key',
      'invalid-key',
      'invalid-key',
      'applied',
    ]);
    expect((await t.get(keys.balance('MUG', 'WH-1')))?.reserved).toBe(1);
  });
});
