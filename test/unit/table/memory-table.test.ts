import { describe, expect, it } from 'vitest';
import { WriteConflictError } from '#shared/table/port.ts';
import { itemSize, writeUnits } from '#shared/table/item-size.ts';
import { applyUpdate, evalCondition, MemoryTable } from '#shared/table/memory-table.ts';

describe('bench memory table', () => {
  it('evaluates the condition forms the normalizer emits', () => {
    const item = { pk: 'a', sk: 'b', rev: 3, at: 'x' };
    expect(evalCondition('attribute_not_exists(pk)', undefined, undefined, undefined)).toBe(true);
    expect(evalCondition('attribute_not_exists(pk)', item, undefined, undefined)).toBe(false);
    expect(evalCondition('attribute_not_exists(countAsOf)', item, undefined, undefined)).toBe(true);
    expect(evalCondition('rev = :rev', item, undefined, { ':rev': 3 })).toBe(true);
    expect(evalCondition('rev = :rev', item, undefined, { ':rev': 2 })).toBe(false);
    expect(evalCondition('#at = :prev', item, { '#at': 'at' }, { ':prev': 'x' })).toBe(true);
    expect(evalCondition('countAsOf = :s', item, undefined, { ':s': 'x' })).toBe(false);
    expect(() => evalCondition('rev > :rev', item, undefined, { ':rev': 1 })).toThrow(/unsupported/);
  });

  it('applies SET, if_not_exists, ADD and REMOVE like DynamoDB', () => {
    const key = { pk: 'SKU#1', sk: 'LOC#a' };
    const created = applyUpdate(
      'ADD reserved :dr, rev :one SET updatedAt = :now, #loc = :loc, on = if_not_exists(on, :zero)',
      undefined,
      key,
      { '#loc': 'location' },
      { ':dr': 2, ':one': 1, ':now': 't1', ':loc': 'a', ':zero': 0 },
    );
    expect(created).toEqual({ pk: 'SKU#1', sk: 'LOC#a', reserved: 2, rev: 1, updatedAt: 't1', location: 'a', on: 0 });
    const next = applyUpdate(
      'SET on = if_not_exists(on, :zero), updatedAt = :now ADD reserved :dr',
      { ...created, on: 5 },
      key,
      undefined,
      { ':zero': 0, ':now': 't2', ':dr': -1 },
    );
    expect(next).toMatchObject({ on: 5, reserved: 1, updatedAt: 't2' });
    expect(applyUpdate('SET updatedAt = :now REMOVE #w, on', next, key, { '#w': 'rev' }, { ':now': 't3' })).toEqual({
      pk: 'SKU#1',
      sk: 'LOC#a',
      reserved: 1,
      location: 'a',
      updatedAt: 't3',
    });
    expect(() => applyUpdate('DELETE tags :t', created, key, undefined, { ':t': new Set(['a']) })).toThrow(
      /unsupported/,
    );
  });

  it('bills like DynamoTable: single writes once, transactions twice, failed writes nothing', async () => {
    const t = new MemoryTable();
    const order = { pk: 'ORDER#1', sk: 'META', blob: 'x'.repeat(1500) };
    await t.write([{ kind: 'put', item: order, condition: 'attribute_not_exists(pk)' }]);
    expect(t.stats).toEqual({
      readRequests: 0,
      writeRequests: 1,
      readUnits: 0,
      writeUnits: writeUnits(itemSize(order)),
    });
    expect(writeUnits(itemSize(order))).toBe(2);
    await expect(t.write([{ kind: 'put', item: order, condition: 'attribute_not_exists(pk)' }])).rejects.toBeInstanceOf(
      WriteConflictError,
    );
    expect(t.stats.writeRequests).toBe(2);
    expect(t.stats.writeUnits).toBe(2);
    await t.write([
      { kind: 'put', item: { pk: 'ORDER#2', sk: 'META' } },
      {
        kind: 'update',
        key: { pk: 'SKU#1', sk: 'LOC#a' },
        update: 'ADD n :one',
        values: { ':one': 1 },
        billedSize: 230,
      },
    ]);
    expect(t.stats.writeUnits).toBe(2 + 2 * 1 + 2 * 1);
    // a failing condition in a transaction writes nothing and says which op failed
    const err = await t
      .write([
        { kind: 'put', item: { pk: 'ORDER#3', sk: 'META' } },
        { kind: 'put', item: { pk: 'ORDER#2', sk: 'META' }, condition: 'attribute_not_exists(pk)' },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteConflictError);
    expect((err as WriteConflictError).failed).toEqual([false, true]);
    expect(await t.get({ pk: 'ORDER#3', sk: 'META' })).toBeUndefined();
    expect(t.stats.readRequests).toBe(1);
    expect(t.stats.readUnits).toBe(1);
  });

  it('reads: batchGet per 100 keys, queryBetween exclusive but billed inclusive, undefined dropped', async () => {
    const t = new MemoryTable();
    for (const sk of ['MOVE#a#1', 'MOVE#a#2', 'MOVE#a#3'])
      await t.write([{ kind: 'put', item: { pk: 'SKU#1', sk, d: 1, gone: undefined } }]);
    const got = await t.batchGet(
      Array.from({ length: 150 }, (_, i) => ({ pk: 'SKU#1', sk: i < 3 ? `MOVE#a#${i + 1}` : `none${i}` })),
    );
    expect(got).toHaveLength(3);
    expect(got[0]).not.toHaveProperty('gone');
    expect(t.stats.readRequests).toBe(2);
    const between = await t.queryBetween('SKU#1', 'MOVE#a#1', 'MOVE#a#3');
    expect(between.map((i) => i.sk)).toEqual(['MOVE#a#2']);
    expect(t.stats.readRequests).toBe(3);
  });

  it('counts GSI byUpdated writes apart from the base table', async () => {
    const t = new MemoryTable();
    const key = { pk: 'SKU#1', sk: 'LOC#a' };
    const upd = (fsk: string) =>
      t.write([
        {
          kind: 'update',
          key,
          update: 'SET feedPk = :p, feedSk = :s',
          values: { ':p': 'FEED#0', ':s': fsk },
          billedSize: 230,
        },
      ]);
    await upd('t1');
    expect(t.gsi).toEqual({ writes: 1, writeUnits: 1 });
    await upd('t2');
    expect(t.gsi).toEqual({ writes: 3, writeUnits: 3 });
    expect(t.stats.writeUnits).toBe(2);
  });
});
