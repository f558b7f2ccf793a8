import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '#shared/aws/config.ts';
import { keys } from '#shared/table/keys.ts';
import { runCli } from '#infra/local/cli.ts';
import { parseHubConfig } from '#infra/local/config.ts';
import { startLocalHub, type LocalHub } from '#infra/local/hub.ts';
import { freePort } from '#infra/local/moto.ts';
import { signedRequest } from '#test/fixtures/signing.ts';
import { awsEndpoint, motoEnv, uniqueName } from '#test/support/aws.ts';
import { fakeSquare, squareOrder, squareOrderCreated, type FakeSquare } from '#test/support/fake-senders.ts';

const CONN = 'sq-hydrate';
const CHANNEL = 'square-hydrate';
const VARIATION = 'W62UWFY35CWMYGVWK6TWJDNI';
const LOCATION = 'L8GWV4NH3TQ2J';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('hydration through the local hub on moto: a thin Square webhook becomes a fetched, reserved order', () => {
  let hub: LocalHub;
  let api: FakeSquare;
  let doc: DynamoDBDocumentClient;
  let cliEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const prefix = uniqueName('hydrate');
    api = await fakeSquare({ token: 'sq-live-token' });
    const config = parseHubConfig({
      connections: [
        {
          id: CONN,
          source: 'square',
          channel: CHANNEL,
          secret: randomBytes(16).toString('hex'),
          notificationUrl: `${url}/webhooks/${CONN}`,
        },
      ],
    });
    hub = await startLocalHub({ port, awsEndpoint: awsEndpoint(), prefix, quiet: true, config });
    cliEnv = {
      ...motoEnv(),
      HUB_TABLE_NAME: hub.resources.tableName,
      HUB_STAGE: `local-${prefix}`,
      HUB_INGEST_QUEUE_URL: hub.resources.ingestQueueUrl,
      HUB_INGEST_DLQ_URL: hub.resources.ingestDlqUrl,
    };
    doc = DynamoDBDocumentClient.from(
      new DynamoDBClient(awsClientConfig({ AWS_REGION: hub.region, HUB_AWS_ENDPOINT: hub.awsEndpoint })),
    );
    await runCli(
      ['connections', 'credentials', CONN, '--token', 'sq-live-token', '--base-url', api.url],
      cliEnv,
      () => undefined,
    );
    await runCli(['listings', 'map', CHANNEL, VARIATION, 'MUG-WHT'], cliEnv, () => undefined);
  }, 120_000);

  afterAll(async () => {
    doc?.destroy();
    await hub?.stop();
    await api?.close();
  });

  const get = async (key: { pk: string; sk: string }) =>
    (await doc.send(new GetCommand({ TableName: hub.resources.tableName, Key: key }))).Item;

  async function post(orderId: string): Promise<number> {
    const conn = hub.config.connections.find((c) => c.id === CONN)!;
    const req = signedRequest('square', conn, squareOrderCreated(orderId, LOCATION));
    return (
      await fetch(`${hub.url}/webhooks/${CONN}`, {
        method: 'POST',
        headers: req.headers,
        body: new Uint8Array(req.body),
      })
    ).status;
  }

  it('fetches the order with the stored credentials, applies it and reserves its units, after waiting out a 429 for its Retry-After', async () => {
    // Prepare: the first fetch is rate limited for one second
    const orderId = `ord-${randomUUID()}`;
    api.orders.set(orderId, squareOrder({ id: orderId, location_id: LOCATION, version: 1 }));
    api.failNext({
      status: 429,
      headers: { 'retry-after': '1' },
      body: { errors: [{ category: 'RATE_LIMIT_ERROR', code: 'RATE_LIMITED' }] },
    });

    // Act
    const status = await post(orderId);
    const order = await waitFor('the fetched order', async () => get(keys.order(CHANNEL, orderId)));
    const balance = await waitFor('the reservation', async () => {
      const b = await get(keys.balance('MUG-WHT', LOCATION));
      return b && Number(b.reserved) >= 2 ? b : undefined;
    });

    // Assess
    expect(status).toBe(202);
    const calls = api.requests.filter((r) => JSON.parse(r.body).order_ids?.[0] === orderId);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.headers.authorization).toBe('Bearer sq-live-token');
    expect(order).toMatchObject({
      state: { status: 'processing', lines: [{ sku: 'MUG-WHT', qty: 2, location: LOCATION }] },
    });
    expect(balance.reserved).toBe(2);
    expect(await get(keys.hydration(CHANNEL, 'order', orderId))).toMatchObject({
      outcome: 'fetched',
      fetchedVersion: { seq: 1 },
    });
    expect(hub.stats().pollers.hydrate!.records).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('stores credentials only when they name a token', async () => {
    // Act
    const refused = await runCli(
      ['connections', 'credentials', CONN, '--base-url', api.url],
      cliEnv,
      () => undefined,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess
    expect(String(refused)).toMatch(/--token/);
  });
});
