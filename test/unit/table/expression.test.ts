import { describe, expect, it } from 'vitest';
import {
  and,
  conditionExpression,
  eq,
  exists,
  ifNotExists,
  le,
  lt,
  notExists,
  or,
  sdkExpression,
  updateExpression,
} from '#shared/table/expression.ts';
import { MemoryTable, applyUpdate, evalCondition } from '#shared/table/memory-table.ts';
import { claimable } from '#shared/table/version-claim.ts';

describe('updateExpression', () => {
  it('names every attribute and value once, SET before ADD before REMOVE', () => {
    // Act
    const e = updateExpression(
      { set: { location: 'WH-1', reserved: ifNotExists(0) }, add: { rev: 1 }, remove: ['retryAt'] },
      eq('rev', 4),
    );

    // Assess
    expect(e).toEqual({
      update: 'SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1) ADD #n2 :v2 REMOVE #n3',
      condition: '#n2 = :v3',
      names: { '#n0': 'location', '#n1': 'reserved', '#n2': 'rev', '#n3': 'retryAt' },
      values: { ':v0': 'WH-1', ':v1': 0, ':v2': 1, ':v3': 4 },
    });
  });

  it('refuses an update with no action', () => {
    expect(() => updateExpression({ set: {} })).toThrow(/at least one action/);
  });

  it('does what it says on the in-memory table, as DynamoDB would', () => {
    // Prepare
    const key = { pk: 'SKU#A', sk: 'LOC#X' };
    const before = { ...key, onHand: 5, reserved: 2, rev: 3, retryAt: 'later', status: 'old' };
    const e = updateExpression(
      {
        set: { status: 'new', reserved: ifNotExists(0), fresh: ifNotExists(7) },
        add: { onHand: -1, rev: 1 },
        remove: ['retryAt'],
      },
      and(eq('rev', 3), exists('pk')),
    );

    // Act
    const holds = evalCondition(e.condition!, before, e.names, e.values);
    const after = applyUpdate(e.update, before, key, e.names, e.values);

    // Assess
    expect(holds).toBe(true);
    expect(evalCondition(e.condition!, { ...before, rev: 4 }, e.names, e.values)).toBe(false);
    expect(after).toEqual({ ...key, onHand: 4, reserved: 2, fresh: 7, rev: 4, status: 'new' });
  });
});

describe('conditionExpression', () => {
  it('parenthesizes nested groups and leaves a flat AND bare', () => {
    expect(conditionExpression(and(eq('deliveryId', 'd1'), notExists('enqueuedAt')))).toEqual({
      condition: '#n0 = :v0 AND attribute_not_exists(#n1)',
      names: { '#n0': 'deliveryId', '#n1': 'enqueuedAt' },
      values: { ':v0': 'd1' },
    });
    expect(conditionExpression(or(notExists('v'), le('v', 2), and(eq('v', 3), lt('c', 3)))).condition).toBe(
      'attribute_not_exists(#n0) OR #n0 <= :v0 OR (#n0 = :v1 AND #n1 < :v2)',
    );
  });

  it('keeps a put conditional on the in-memory table: a lost race is a conflict', async () => {
    // Prepare
    const table = new MemoryTable();
    const item = { pk: 'ORDER#1', sk: 'META', rev: 1 };
    await table.write([{ kind: 'put', item, ...conditionExpression(notExists('pk')) }]);

    // Act / Assess
    await expect(table.write([{ kind: 'put', item, ...conditionExpression(notExists('pk')) }])).rejects.toThrow();
    await table.write([{ kind: 'put', item: { ...item, rev: 2 }, ...conditionExpression(eq('rev', 1)) }]);
    expect(await table.get({ pk: 'ORDER#1', sk: 'META' })).toMatchObject({ rev: 2 });
  });
});

describe('sdkExpression', () => {
  it('spells the parts as the SDK input fields, leaving out what is empty', () => {
    expect(sdkExpression(updateExpression({ set: { sent: 3 } }, claimable(3)))).toEqual({
      UpdateExpression: 'SET #n0 = :v0',
      ConditionExpression:
        'attribute_not_exists(#n0) OR #n0 < :v1 OR (#n0 = :v2 AND (attribute_not_exists(#n1) OR #n1 < :v3))',
      ExpressionAttributeNames: { '#n0': 'sent', '#n1': 'confirmed' },
      ExpressionAttributeValues: { ':v0': 3, ':v1': 3, ':v2': 3, ':v3': 3 },
    });
    expect(sdkExpression(conditionExpression(notExists('pk')))).toEqual({
      ConditionExpression: 'attribute_not_exists(#n0)',
      ExpressionAttributeNames: { '#n0': 'pk' },
    });
  });
});
