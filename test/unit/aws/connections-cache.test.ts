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
        return { Item: { pk: { S: key }, sk: { S: 'META' }, id: { S: 'shop' }, source: { S: 'shopify' }, channel: { S: 'shopify-main' } } } as T;
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
    const store = dynamoConnectionStore({ tableName: 't', stage: 's', clients: { aws }, maxAgeSeconds: 60, freshIntervalSeconds: 5, now: () => clock });
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
});
