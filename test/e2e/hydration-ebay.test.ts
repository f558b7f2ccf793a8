import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { keys } from '#shared/table/keys.ts';
import { runCli } from '#infra/local/cli.ts';
import { parseHubConfig } from '#infra/local/config.ts';
import { startLocalHub, type LocalHub } from '#infra/local/hub.ts';
import { freePort } from '#infra/local/moto.ts';
import { payload } from '#test/fixtures/payloads.ts';
import { ebayKeyPair, signedRequest } from '#test/fixtures/signing.ts';
import { awsEndpoint, motoEnv, uniqueName } from '#test/support/aws.ts';
import { ebayOrder, fakeEbay, type FakeEbay } from '#test/support/fake-senders.ts';

const CONN = 'ebay-hydrate';
const CHANNEL = 'ebay-hydrate';
const VERIFICATION = `ebay-verification-${randomUUID()}`;
const APP = { clientId: 'ClayAndC-hub-PRD-a1b2c3d4e-5f6a7b8c', clientSecret: 'PRD-a1b2c3d4e5f6-7a8b-9c0d-1e2f' };
const REFRESH = 'v^1.1#i^1#r^1#p^3#I^3#f^0#t^Ul4xMF8x';
const key = ebayKeyPair();

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * eBay end to end on the local hub: a signed ORDER_CONFIRMATION (verified with the public key the
 * ingest fetches from the fake's Notification API), recorded as a thin order, fetched with
 * getOrder using a user token minted from the refresh token, and reserved.
 */
describe('hydration of an eBay order through the local hub on moto', () => {
  let hub: LocalHub;
  let api: FakeEbay;
  let doc: DynamoDBDocumentClient;
  let cliEnv: NodeJS.ProcessEnv;
  const savedBase = process.env.HUB_EBAY_API_BASE;

  beforeAll(async () => {
    const port = await freePort();
    const prefix = uniqueName('hydebay');
    api = await fakeEbay({ ...APP, refreshToken: REFRESH, publicKeys: { [key.kid]: key.publicKey } });
    // the ingest's key fetcher reads its base URL and the app keyset at start (shared/ingest/deps.ts)
    process.env.HUB_EBAY_API_BASE = api.url;
    await liteAwsClient({ env: { AWS_REGION: 'us-east-1', HUB_AWS_ENDPOINT: awsEndpoint() } }).json({
      service: 'secretsmanager',
      target: 'secretsmanager.CreateSecret',
      input: { Name: `hub/local-${prefix}/ebay-app`, SecretString: JSON.stringify(APP) },
    });
    const config = parseHubConfig({
      connections: [
        {
          id: CONN,
          source: 'ebay',
          channel: CHANNEL,
          secret: VERIFICATION,
          verificationToken: VERIFICATION,
          endpointUrl: `http://127.0.0.1:${port}/webhooks/${CONN}`,
        },
      ],
    });
    hub = await startLocalHub({ port, awsEndpoint: awsEndpoint(), prefix, quiet: true, config });
    cliEnv = {
      ...motoEnv(),
      HUB_STATE_DIR: `/tmp/${uniqueName('nohub')}`,
      HUB_TABLE_NAME: hub.resources.tableName,
      HUB_STAGE: `local-${prefix}`,
      HUB_INGEST_QUEUE_URL: hub.resources.ingestQueueUrl,
      HUB_INGEST_DLQ_URL: hub.resources.ingestDlqUrl,
      HUB_HYDRATE_QUEUE_URL: hub.resources.hydrateQueueUrl,
      HUB_HYDRATE_DLQ_URL: hub.resources.hydrateDlqUrl,
    };
    doc = DynamoDBDocumentClient.from(
      new DynamoDBClient(awsClientConfig({ AWS_REGION: hub.region, HUB_AWS_ENDPOINT: hub.awsEndpoint })),
    );
    const quiet = () => undefined;
    await runCli(
      [
        'connections',
        'credentials',
        CONN,
        '--client-id',
        APP.clientId,
        '--client-secret',
        APP.clientSecret,
        '--refresh-token',
        REFRESH,
        '--base-url',
        api.url,
      ],
      cliEnv,
      quiet,
    );
    // eBay order lines name no location: the channel's fulfilment location reserves them
    await runCli(['channels', 'set', CHANNEL, '--fulfilment-location', 'WH-MAIN'], cliEnv, quiet);
  }, 120_000);

  afterAll(async () => {
    if (savedBase === undefined) delete process.env.HUB_EBAY_API_BASE;
    else process.env.HUB_EBAY_API_BASE = savedBase;
    doc?.destroy();
    await hub?.stop();
    await api?.close();
  });

  const get = async (k: { pk: string; sk: string }) =>
    (await doc.send(new GetCommand({ TableName: hub.resources.tableName, Key: k }))).Item;

  it('verifies the notification with the fetched public key, fetches the order with a user token and reserves its lines', async () => {
    // Prepare: eBay's sample notification (test/fixtures/payloads/ebay/order-confirmation.json) for this order
    const orderId = `12-${Date.now() % 100000}-${Math.floor(Math.random() * 90000) + 10000}`;
    api.orders.set(orderId, ebayOrder({ orderId }));
    const body = payload('ebay', 'order-confirmation') as {
      notification: { notificationId: string; data: { orderId: string } };
    };
    body.notification.notificationId = `${randomUUID()}_1`;
    body.notification.data.orderId = orderId;
    const conn = hub.config.connections.find((c) => c.id === CONN)!;
    const req = signedRequest('ebay', conn, JSON.stringify(body), { ebay: key });

    // Act
    const res = await fetch(`${hub.url}/webhooks/${CONN}`, {
      method: 'POST',
      headers: req.headers,
      body: new Uint8Array(req.body),
    });
    const order = await waitFor('the fetched order', async () => get(keys.order(CHANNEL, orderId)));
    const pending = await waitFor('the finished fetch', async () => {
      const item = await get(keys.hydration(CHANNEL, 'order', orderId));
      return item?.outcome ? item : undefined;
    });
    const balance = await waitFor('the reservation', async () => {
      const b = await get(keys.balance('MUG-WHT', 'WH-MAIN'));
      return b && Number(b.reserved) >= 2 ? b : undefined;
    });
    const listed: string[] = [];
    await runCli(['hydration', 'list', '--all'], cliEnv, (l) => listed.push(l));

    // Assess
    expect(res.status).toBe(202);
    const keyCalls = api.requests.filter((r) => r.path.startsWith('/commerce/notification/v1/public_key/'));
    expect(keyCalls.map((r) => r.path)).toEqual([`/commerce/notification/v1/public_key/${key.kid}`]);
    const getOrder = api.requests.filter((r) => r.path === `/sell/fulfillment/v1/order/${orderId}`);
    expect(getOrder).toHaveLength(1);
    expect(getOrder[0]!.headers.authorization).toMatch(/^Bearer v\^1\.1#i\^1#fake-/);
    expect(api.grants).toContain('refresh_token');
    expect(order).toMatchObject({ state: { status: 'paid' } });
    expect(balance.reserved).toBe(2);
    expect(pending).toMatchObject({ outcome: 'fetched' });
    expect(pending.lastError).toBeUndefined();
    expect(listed.find((l) => l.startsWith(`${CHANNEL}  ${orderId}  done`))).toBeDefined();
  }, 60_000);
});
