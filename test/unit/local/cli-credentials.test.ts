import { describe, expect, it } from 'vitest';
import { ApiCredentialsSchema } from '#shared/aws/api-credentials.ts';
import { AwsError, type LiteAwsClient } from '#shared/aws/lite/client.ts';
import type { Connection } from '#shared/domain/connection.ts';
import { setApiCredentials } from '#infra/local/cli-credentials.ts';

/**
 * Secrets Manager as the CLI sees it: PutSecretValue fails for a secret not yet created. DynamoDB
 * PutItem calls (the marker that the connection has credentials) are kept in `items`.
 */
function secrets() {
  const store = new Map<string, string>();
  const items: Record<string, unknown>[] = [];
  const aws = {
    region: 'eu-west-1',
    async json(call: { target: string; input: Record<string, unknown> }) {
      const input = call.input as { SecretId?: string; Name?: string; SecretString: string };
      if (call.target === 'secretsmanager.PutSecretValue') {
        if (!store.has(input.SecretId!))
          throw new AwsError('secretsmanager', 'ResourceNotFoundException', 400, 'not found');
        store.set(input.SecretId!, input.SecretString);
      } else if (call.target === 'secretsmanager.CreateSecret') store.set(input.Name!, input.SecretString);
      else if (call.target === 'DynamoDB_20120810.PutItem') items.push(call.input);
      return {};
    },
  } as unknown as LiteAwsClient;
  return { store, items, aws };
}

const ebay = { id: 'ebay-us', source: 'ebay' } as Connection;
const square = { id: 'square-main', source: 'square' } as Connection;

async function run(conn: Connection, args: string[]) {
  const s = secrets();
  const printed: string[] = [];
  const err = await setApiCredentials(conn, args, {
    aws: s.aws,
    stage: 'dev',
    tableName: 'hub-dev-table',
    print: (l) => void printed.push(l),
    fail: (m) => new Error(m),
  }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  return { ...s, printed, err };
}

describe('npm run hub -- connections credentials', () => {
  it("stores an eBay connection's keyset and refresh token beside its webhook secret", async () => {
    // Act
    const r = await run(ebay, [
      '--client-id',
      'ClayCo-hub-PRD-1a2b',
      '--client-secret',
      'PRD-9f8e',
      '--refresh-token',
      'v^1.1#i^1#r^1',
      '--base-url',
      'https://api.sandbox.ebay.com',
    ]);

    // Assess
    expect(r.err).toBeUndefined();
    const stored = JSON.parse(r.store.get('hub/dev/connections/ebay-us/api')!);
    expect(stored).toEqual({
      clientId: 'ClayCo-hub-PRD-1a2b',
      clientSecret: 'PRD-9f8e',
      refreshToken: 'v^1.1#i^1#r^1',
      baseUrl: 'https://api.sandbox.ebay.com',
    });
    expect(ApiCredentialsSchema.safeParse(stored).success).toBe(true);
    // the table learns that the connection has credentials, never what they are
    expect(r.items).toEqual([
      {
        TableName: 'hub-dev-table',
        Item: {
          pk: { S: 'CONN#ebay-us' },
          sk: { S: 'API' },
          type: { S: 'api-credentials' },
          source: { S: 'ebay' },
          secretName: { S: 'hub/dev/connections/ebay-us/api' },
        },
      },
    ]);
  });

  it('refuses an eBay connection without a keyset or token, and OAuth options on another sender', async () => {
    // Act
    const noKeyset = await run(ebay, ['--refresh-token', 'v^1.1']);
    const halfKeyset = await run(ebay, ['--client-id', 'x']);
    const squareOauth = await run(square, ['--token', 't', '--client-id', 'x', '--client-secret', 'y']);

    // Assess
    expect(noKeyset.err?.message).toMatch(/--client-id and --client-secret/);
    expect(halfKeyset.err?.message).toMatch(/--client-id and --client-secret/);
    expect(squareOauth.err?.message).toMatch(/are for eBay connections/);
    expect([noKeyset, halfKeyset, squareOauth].every((r) => r.store.size === 0 && r.items.length === 0)).toBe(true);
  });
});

describe('npm run hub -- connections credentials, WooCommerce', () => {
  const woo = { id: 'woo-main', source: 'woocommerce' } as Connection;

  it('stores the REST API consumer key and secret with the store URL', async () => {
    const r = await run(woo, [
      '--consumer-key',
      'ck_0123456789abcdef',
      '--consumer-secret',
      'cs_0123456789abcdef',
      '--base-url',
      'https://shop.example.com',
    ]);
    expect(r.err).toBeUndefined();
    expect(JSON.parse(r.store.get('hub/dev/connections/woo-main/api')!)).toEqual({
      clientId: 'ck_0123456789abcdef',
      clientSecret: 'cs_0123456789abcdef',
      baseUrl: 'https://shop.example.com',
    });
  });

  it('asks for the key pair and the store URL, and keeps them to WooCommerce', async () => {
    expect((await run(woo, ['--consumer-key', 'ck_x', '--base-url', 'https://shop.example.com'])).err?.message).toMatch(
      /--consumer-secret/,
    );
    expect((await run(woo, ['--token', 'x'])).err?.message).toMatch(/--consumer-key/);
    expect((await run(square, ['--token', 't', '--consumer-key', 'ck_x'])).err?.message).toMatch(
      /for WooCommerce connections/,
    );
  });
});
