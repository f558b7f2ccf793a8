import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { createHandler as kpiHandler } from '#functions/kpi/handler.ts';
import { runCli } from '#infra/local/cli.ts';
import { createHandler as stockHandler } from '#functions/stock/handler.ts';
import { putApiKey } from '#shared/aws/api-keys.ts';
import { channelConnectionKey, listChannels, putChannel, putChannelConnection } from '#shared/aws/channels.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { dynamoConnectionStore } from '#shared/aws/connections.ts';
import { kpiRuntime } from '#shared/aws/kpi-repo.ts';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { stockRuntime } from '#shared/aws/stock-runtime.ts';
import { documentClient, type DynamoTable } from '#shared/aws/table.ts';
import { ConnectionSchema } from '#shared/domain/connection.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { motoEnv } from '../support/aws.ts';
import { fixedClock, fixedMsClock } from '../support/clock.ts';
import { freshTable } from '../support/table.ts';
import { foldTable } from '../support/fold.ts';

/**
 * A merchant connects a store and configures nothing else: its channel must be a channel of the
 * hub at once — listed by the KPI overview, nameable in `channels=`, and answered by the stock
 * read with the whole pool as available-to-sell.
 */
const ADMIN = 'hub_test_admin_0123456789abcdef';
const ACME = 'hub_test_acme_0123456789abcdefg';

let table: DynamoTable;
let tableName: string;
let drop: () => Promise<void>;
let kpi: ReturnType<typeof kpiHandler>;
let stock: ReturnType<typeof stockHandler>;

beforeAll(async () => {
  ({ table, tableName, drop } = await freshTable('connch'));
  const doc = documentClient(awsClientConfig(motoEnv()));
  await putApiKey(doc, tableName, ADMIN, { scopes: ['admin'], partner: null }, fixedClock()());
  await putApiKey(doc, tableName, ACME, { scopes: ['kpi:read', 'stock:read'], partner: 'acme' }, fixedClock()());
  const store = dynamoConnectionStore({
    tableName,
    stage: `t-${tableName}`,
    clients: { aws: liteAwsClient({ env: motoEnv() }) },
    now: fixedMsClock(),
    maxAgeSeconds: 0,
  });
  await store.put(
    ConnectionSchema.parse({ id: 'shop-main', source: 'shopify', channel: 'shopify-main', secret: 'shpss_0123456789' }),
  );
  await store.put(
    ConnectionSchema.parse({
      id: 'acme-sq',
      source: 'square',
      channel: 'acme-square',
      partner: 'acme',
      secret: 'sq-sig-key-0123',
      notificationUrl: 'https://hub.example/webhooks/acme-sq',
    }),
  );
  for (const [location, quantity] of [
    ['WH-A', 7],
    ['WH-B', 5],
  ] as const) {
    await applyEvent(
      table,
      {
        type: 'StockLevelSet',
        channel: 'wms',
        source: 'test',
        deliveryId: `c-${location}`,
        occurredAt: '2026-09-01T00:00:00.000Z',
        sku: 'MUG-1',
        locationId: location,
        quantity,
        bucket: 'on_hand',
        asOf: '2026-09-01T00:00:00.000Z',
      },
      fixedClock(),
    );
  }
  const env = { ...motoEnv(), HUB_TABLE_NAME: tableName, HUB_CHANNEL_CACHE_SECONDS: '0' };
  kpi = kpiHandler(() => kpiRuntime(env, { doc, now: fixedClock() }));
  stock = stockHandler(() => stockRuntime(env, { doc, now: fixedClock() }));
});
afterAll(async () => drop());

async function call(
  h: typeof kpi | typeof stock,
  routeKey: string,
  rawPath: string,
  query: Record<string, string>,
  key: string,
  pathParameters?: Record<string, string>,
) {
  const event = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: { authorization: `Bearer ${key}` },
    queryStringParameters: query,
    ...(pathParameters ? { pathParameters } : {}),
    requestContext: { http: { method: 'GET', path: rawPath }, requestId: 'r', routeKey },
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
  const res = (await h(event, {} as Context)) as APIGatewayProxyStructuredResultV2;
  return { status: res.statusCode ?? 0, body: JSON.parse(String(res.body || 'null')) };
}

const range = { from: '2026-09-01', to: '2026-09-30' };

describe('channels that only have a connection', () => {
  it('are listed by the channel port, with the connection partner as owner', async () => {
    // Act
    const listed = await listChannels(documentClient(awsClientConfig(motoEnv())), tableName, {
      maxAgeSeconds: 0,
      now: fixedMsClock(),
    });
    // Assess
    expect(listed).toEqual([
      { channel: 'acme-square', partner: 'acme', allocation: {} },
      { channel: 'shopify-main', allocation: {} },
    ]);
  });

  it('appear in the KPI overview of an admin key, and a partner key sees its own', async () => {
    // Act
    const admin = await call(kpi, 'GET /v1/kpis/channels', '/v1/kpis/channels', range, ADMIN);
    const acme = await call(kpi, 'GET /v1/kpis/channels', '/v1/kpis/channels', range, ACME);
    // Assess
    expect(admin.status).toBe(200);
    expect(admin.body.channels.map((c: { channel: string }) => c.channel)).toEqual(['acme-square', 'shopify-main']);
    expect(acme.body.channels.map((c: { channel: string }) => c.channel)).toEqual(['acme-square']);
  });

  it('can be named by an admin key, also a channel known only by its counters', async () => {
    // Act
    const named = await call(
      kpi,
      'GET /v1/kpis/channels',
      '/v1/kpis/channels',
      { ...range, channels: 'shopify-main,pos-legacy' },
      ADMIN,
    );
    const refused = await call(
      kpi,
      'GET /v1/kpis/channels',
      '/v1/kpis/channels',
      { ...range, channels: 'shopify-main' },
      ACME,
    );
    // Assess
    expect(named.status).toBe(200);
    expect(named.body.channels.map((c: { channel: string }) => c.channel)).toEqual(['shopify-main', 'pos-legacy']);
    expect(refused.status).toBe(403);
  });

  it('answer the stock read with the whole pool as available-to-sell', async () => {
    // Act
    const one = await call(stock, 'GET /v1/stock/{sku}', '/v1/stock/MUG-1', { channel: 'shopify-main' }, ADMIN, {
      sku: 'MUG-1',
    });
    // Assess
    expect(one.status).toBe(200);
    expect(one.body.available).toBe(12);
    expect(one.body.channels).toEqual([{ channel: 'shopify-main', availableToSell: 12 }]);
  });

  it('are listed for SP-API notifications too, and give way to a configuration once one is set', async () => {
    // Prepare: a separate table, so the listing above stays as it was
    const other = await freshTable('connch2');
    const doc = documentClient(awsClientConfig(motoEnv()));
    const list = () => listChannels(doc, other.tableName, { maxAgeSeconds: 0, now: fixedMsClock() });
    // Act
    await putChannelConnection(
      doc,
      other.tableName,
      { channel: 'amazon', connectionId: 'amazon-spapi', source: 'amazon' },
      fixedClock()(),
    );
    const before = await list();
    await putChannel(
      doc,
      other.tableName,
      { channel: 'amazon', partner: 'acme', allocation: { share: 0.5 } },
      fixedClock()(),
    );
    const after = await list();
    await other.drop();
    // Assess
    expect(before).toEqual([{ channel: 'amazon', allocation: {} }]);
    expect(after).toEqual([{ channel: 'amazon', partner: 'acme', allocation: { share: 0.5 } }]);
  });

  it('are listed for connections made before channels were listed from them, by channels sync', async () => {
    // Prepare: a connection whose channel entry is missing, as one stored by an earlier version
    const other = await freshTable('connch3');
    const doc = documentClient(awsClientConfig(motoEnv()));
    const stage = `t-${other.tableName}`;
    const store = dynamoConnectionStore({
      tableName: other.tableName,
      stage,
      clients: { aws: liteAwsClient({ env: motoEnv() }) },
      now: fixedMsClock(),
      maxAgeSeconds: 0,
    });
    await store.put(
      ConnectionSchema.parse({
        id: 'old-bc',
        source: 'bigcommerce',
        channel: 'bc-old',
        secret: 'bc-secret-0123',
        authHeaderName: 'X-Hub-Secret',
      }),
    );
    await doc.send(new DeleteCommand({ TableName: other.tableName, Key: channelConnectionKey('bc-old', 'old-bc') }));
    const list = () => listChannels(doc, other.tableName, { maxAgeSeconds: 0, now: fixedMsClock() });
    const before = await list();
    const lines: string[] = [];
    // Act
    await runCli(['channels', 'sync'], { ...motoEnv(), HUB_TABLE_NAME: other.tableName, HUB_STAGE: stage }, (l) =>
      lines.push(l),
    );
    const after = await list();
    await other.drop();
    // Assess
    expect(before).toEqual([]);
    expect(after).toEqual([{ channel: 'bc-old', allocation: {} }]);
    expect(lines).toEqual(['listed 1 channel of 1 connection: bc-old']);
  });
});

describe('channels known only by their data', () => {
  it('are listed once the fold has counted an order of theirs', async () => {
    // Prepare: an order on a channel with no connection and no configuration (a replayed stream)
    const own = await freshTable('datach');
    const doc = documentClient(awsClientConfig(motoEnv()));
    const at = '2026-09-01T10:00:00.000Z';
    await applyEvent(
      own.table,
      {
        type: 'OrderUpserted',
        channel: 'pos-legacy',
        source: 'test',
        deliveryId: 'o1',
        occurredAt: at,
        orderId: 'o1',
        status: 'paid',
        rawStatus: {},
        createdAt: at,
        version: { at },
        lines: [{ lineId: '1', sku: 'MUG-1', quantity: 1, locationId: 'WH-A' }],
      },
      fixedClock(),
    );
    const before = await listChannels(doc, own.tableName, { maxAgeSeconds: 0, now: fixedMsClock() });
    // Act
    await foldTable(own.table, own.tableName);
    const after = await listChannels(doc, own.tableName, { maxAgeSeconds: 0, now: fixedMsClock() });
    // Assess
    expect(before).toEqual([]);
    expect(after).toEqual([{ channel: 'pos-legacy', allocation: {} }]);
    await own.drop();
  });
});
