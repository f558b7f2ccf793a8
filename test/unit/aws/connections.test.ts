import { describe, expect, it } from 'vitest';
import { dynamoConnectionStore } from '#shared/aws/connections.ts';
import type { JsonCall, LiteAwsClient } from '#shared/aws/lite/client.ts';

/** A fake AWS that answers GetItem and GetSecretValue for one connection and counts calls. */
function fakeAws(secrets: () => string[]) {
  const calls: string[] = [];
  const aws: LiteAwsClient = {
    region: 'us-east-1',
    async json<T>(call: JsonCall): Promise<T> {
      calls.push(call.target);
      if (call.target.endsWith('GetItem')) {
        const key = (call.input as { Key: { pk: { S: string } } }).Key.pk.S;
        if (key !== 'CONN#shop') return {} as T;
        return {
          Item: {
            pk: { S: key },
            sk: { S: 'META' },
            id: { S: 'shop' },
            source: { S: 'shopify' },
            channel: { S: 'shopify-main' },
          },
        } as T;
      }
      return { SecretString: JSON.stringify(secrets()) } as T;
    },
    s3Put: async () => {},
    s3Get: async () => Buffer.alloc(0),
  };
  return { aws, calls };
}

describe('connection store cache', () => {
  it('serves repeated reads from the cache until max age, and rate-limits fresh reads', async () => {
    // Prepare
    let secrets = ['a'];
    let clock = 0;
    const { aws, calls } = fakeAws(() => secrets);
    const store = dynamoConnectionStore({
      tableName: 't',
      stage: 's',
      clients: { aws },
      maxAgeSeconds: 60,
      freshIntervalSeconds: 5,
      now: () => clock,
    });
    // Act
    const first = await store.get('shop');
    secrets = ['a', 'b'];
    clock = 1000;
    const cached = await store.get('shop');
    const freshTooSoon = await store.get('shop', { fresh: true });
    clock = 6000;
    const fresh = await store.get('shop', { fresh: true });
    // Assess
    expect(first).toEqual({ id: 'shop', source: 'shopify', channel: 'shopify-main', partner: null, secrets: ['a'] });
    expect(cached?.secrets).toEqual(['a']);
    expect(freshTooSoon?.secrets).toEqual(['a']);
    expect(fresh?.secrets).toEqual(['a', 'b']);
    expect(calls.filter((c) => c.endsWith('GetItem'))).toHaveLength(2);
  });

  it('does not read a secret for a connection that does not exist', async () => {
    // Prepare
    const { aws, calls } = fakeAws(() => ['a']);
    const store = dynamoConnectionStore({ tableName: 't', stage: 's', clients: { aws }, now: () => 0 });
    // Act
    const missing = await store.get('made-up');
    // Assess
    expect(missing).toBeUndefined();
    expect(calls).toEqual(['DynamoDB_20120810.GetItem']);
  });

  it('remembers an unknown id for a few seconds, so repeating it costs no table read', async () => {
    // Prepare
    let clock = 0;
    const { aws, calls } = fakeAws(() => ['a']);
    const store = dynamoConnectionStore({
      tableName: 't',
      stage: 's',
      clients: { aws },
      missMaxAgeSeconds: 5,
      now: () => clock,
    });
    // Act
    for (let i = 0; i < 20; i++) await store.get('made-up');
    const readsWithinTtl = calls.length;
    clock = 5_001;
    await store.get('made-up');
    // Assess
    expect(readsWithinTtl).toBe(1);
    expect(calls).toEqual(['DynamoDB_20120810.GetItem', 'DynamoDB_20120810.GetItem']);
  });

  it('keeps at most maxMisses unknown ids (oldest dropped first), so made-up ids cannot grow memory', async () => {
    // Prepare
    const { aws, calls } = fakeAws(() => ['a']);
    const store = dynamoConnectionStore({
      tableName: 't',
      stage: 's',
      clients: { aws },
      missMaxAgeSeconds: 5,
      maxMisses: 3,
      now: () => 0,
    });
    for (const id of ['m1', 'm2', 'm3', 'm4']) await store.get(id);
    calls.length = 0;
    // Act: m1 was dropped to make room for m4; m2..m4 are still remembered
    for (const id of ['m2', 'm3', 'm4', 'm1']) await store.get(id);
    // Assess
    expect(calls).toEqual(['DynamoDB_20120810.GetItem']);
    expect(store.cachedMisses()).toBe(3);
  });

  it('forgets that an id was unknown once a connection is stored under it', async () => {
    // Prepare
    let exists = false;
    const { aws } = fakeAws(() => ['a']);
    const table: LiteAwsClient = {
      ...aws,
      async json<T>(call: JsonCall): Promise<T> {
        if (call.target.endsWith('GetItem') && !exists) return {} as T;
        if (call.target.endsWith('PutItem') || call.target.endsWith('PutSecretValue')) return {} as T;
        return aws.json<T>(call);
      },
    };
    const store = dynamoConnectionStore({
      tableName: 't',
      stage: 's',
      clients: { aws: table },
      missMaxAgeSeconds: 5,
      now: () => 0,
    });
    const before = await store.get('shop');
    // Act
    await store.put({ id: 'shop', source: 'shopify', channel: 'shopify-main', partner: null, secrets: ['a'] });
    exists = true;
    const after = await store.get('shop');
    // Assess
    expect(before).toBeUndefined();
    expect(after?.id).toBe('shop');
  });
});
