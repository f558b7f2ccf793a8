import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createHandler } from '#functions/kpi/handler.ts';
import { putApiKey } from '#shared/aws/api-keys.ts';
import { putChannel } from '#shared/aws/channels.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { kpiRuntime } from '#shared/aws/kpi-repo.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { foldMemory } from '../../bench/memory-fold.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { motoEnv } from '../support/aws.ts';
import { freshTable } from '../support/table.ts';
import { fixedClock } from '../support/clock.ts';

/**
 * Partner-reported figures through the kpi function on a moto table: the POST route (scopes,
 * partner keys, idempotency, corrections, history), and the KPI answer joining them with the order
 * counters — checked against figures worked out here from the orders and entries sent.
 */

const HUB_WRITER = 'hub_test_figures_writer_000001';
const ACME_WRITER = 'hub_test_figures_acme_0000001';
const READER = 'hub_test_figures_reader_000001';

let tableName: string;
let drop: () => Promise<void>;
let doc: DynamoDBDocumentClient;
let handler: ReturnType<typeof createHandler>;

/** Orders of March 2026 (UTC), in cents: acme-web (partner acme) and web (the merchant's own). */
const ORDERS = [
  { channel: 'acme-web', id: 'a1', at: '2026-03-03T10:00:00Z', cents: 12_000 },
  { channel: 'acme-web', id: 'a2', at: '2026-03-20T10:00:00Z', cents: 8_050 },
  { channel: 'acme-web', id: 'a3', at: '2026-02-10T10:00:00Z', cents: 5_000 },
  { channel: 'web', id: 'w1', at: '2026-03-05T10:00:00Z', cents: 30_000 },
];

function upsert(o: (typeof ORDERS)[number]): CanonicalEvent {
  const amount = `${Math.floor(o.cents / 100)}.${String(o.cents % 100).padStart(2, '0')}`;
  return {
    type: 'OrderUpserted',
    channel: o.channel,
    source: 'test',
    deliveryId: `${o.id}-d0`,
    occurredAt: o.at,
    orderId: o.id,
    status: 'paid',
    rawStatus: {},
    createdAt: o.at,
    version: { at: o.at },
    total: { amount, currency: 'USD' },
    lines: [{ lineId: 'L0', sku: 'SKU-A', quantity: 1, unitPrice: { amount, currency: 'USD' } }],
  } as CanonicalEvent;
}

beforeAll(async () => {
  ({ tableName, drop } = await freshTable('kpifig'));
  doc = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(motoEnv())), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const at = fixedClock()();
  await putApiKey(doc, tableName, HUB_WRITER, { scopes: ['kpi:write', 'kpi:read'], partner: null }, at);
  await putApiKey(doc, tableName, ACME_WRITER, { scopes: ['kpi:write'], partner: 'acme' }, at);
  await putApiKey(doc, tableName, READER, { scopes: ['kpi:read'], partner: null }, at);
  await putChannel(doc, tableName, { channel: 'acme-web', partner: 'acme', standards: { minReturnOnSpend: 2 } }, at);
  await putChannel(doc, tableName, { channel: 'web' }, at);
  const mem = new MemoryTable();
  await applyEvent(
    mem,
    {
      type: 'StockLevelSet',
      channel: 'wms',
      source: 'test',
      deliveryId: 'count',
      occurredAt: '2025-01-01T00:00:00Z',
      sku: 'SKU-A',
      locationId: 'WH1',
      quantity: 1000,
      bucket: 'on_hand',
      asOf: '2025-01-01T00:00:00Z',
    },
    fixedClock(),
  );
  for (const o of ORDERS) await applyEvent(mem, upsert(o), fixedClock());
  await foldMemory(mem, { zone: 'UTC', batchSize: 100 });
  const items = mem.items();
  for (let i = 0; i < items.length; i += 25) {
    let pending: Record<string, any>[] | undefined = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    while (pending && pending.length > 0) {
      const res = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = res.UnprocessedItems?.[tableName] as Record<string, any>[] | undefined;
    }
  }
  handler = createHandler(() =>
    kpiRuntime({ ...motoEnv(), HUB_TABLE_NAME: tableName, HUB_CHANNEL_CACHE_SECONDS: '0' }, { doc, now: fixedClock() }),
  );
}, 120_000);
afterAll(async () => drop());

async function call(
  method: 'GET' | 'POST',
  path: string,
  key: string,
  opts: { query?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: any }> {
  const figures = /^\/v1\/channels\/([^/]+)\/figures$/.exec(path);
  const event = {
    version: '2.0',
    routeKey: figures ? 'POST /v1/channels/{channel}/figures' : `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(opts.query ?? {}).toString(),
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    queryStringParameters: opts.query,
    ...(figures ? { pathParameters: { channel: figures[1] } } : {}),
    requestContext: { http: { method, path }, requestId: 'r' },
    body: opts.body,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
  const res = (await handler(event, {} as Context)) as APIGatewayProxyStructuredResultV2;
  return { status: res.statusCode ?? 0, body: JSON.parse(res.body || 'null') };
}

const post = (channel: string, key: string, entries: unknown[]) =>
  call('POST', `/v1/channels/${channel}/figures`, key, { body: JSON.stringify({ entries }) });

describe('POST /v1/channels/{channel}/figures on the table', () => {
  it('stores, recognises a resend, replaces on correction and keeps each version with who and when', async () => {
    // Act
    const spend = { key: 'mkt-2026-03', date: '2026-03-01', kind: 'marketingSpend', currency: 'USD', amount: '50.00' };
    const first = await post('acme-web', ACME_WRITER, [
      spend,
      { key: 'csat-1', date: '2026-03-15', kind: 'satisfaction', score: 80, responses: 10 },
      { key: 'csat-2', date: '2026-03-16', kind: 'satisfaction', score: 95, responses: 30 },
      {
        key: 'pipe-q2',
        date: '2026-03-31',
        kind: 'pipeline',
        quarter: '2026-Q2',
        currency: 'USD',
        amount: '12000.00',
        opportunities: 7,
      },
    ]);
    const resend = await post('acme-web', ACME_WRITER, [spend]);
    const fix = await post('acme-web', ACME_WRITER, [{ ...spend, amount: '40.05' }]);
    // Assess
    expect(first.status).toBe(200);
    expect(first.body.results.map((r: any) => r.outcome)).toEqual(['created', 'created', 'created', 'created']);
    expect(resend.body.results).toEqual([{ key: 'mkt-2026-03', outcome: 'unchanged' }]);
    expect(fix.body.results).toEqual([{ key: 'mkt-2026-03', outcome: 'corrected' }]);
    const versions = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
        ExpressionAttributeValues: { ':p': 'FIG#acme-web', ':s': 'V#mkt-2026-03#' },
      }),
    );
    expect(versions.Items?.map((i) => [i.version, i.entry.amount, i.sentBy.partner, i.receivedAt])).toEqual([
      [1, '50.00', 'acme', '2026-09-15T12:00:00.000Z'],
      [2, '40.05', 'acme', '2026-09-15T12:00:00.000Z'],
    ]);
  });

  it('refuses a partner key on another channel, a key without kpi:write, and bad bodies with 4xx errors', async () => {
    const entry = { key: 'k', date: '2026-03-01', kind: 'onboardingCost', currency: 'USD', amount: '1.00' };
    const other = await post('web', ACME_WRITER, [entry]);
    const readOnly = await post('web', READER, [entry]);
    const notJson = await call('POST', '/v1/channels/web/figures', HUB_WRITER, { body: '{"entries": [' });
    const bad = await post('web', HUB_WRITER, [{ ...entry, amount: 1 }]);
    expect([other.status, readOnly.status, notJson.status, bad.status]).toEqual([403, 403, 400, 400]);
    for (const r of [other, readOnly, notJson, bad]) {
      expect(Object.keys(r.body)).toEqual(['error']);
      expect(typeof r.body.error.code).toBe('string');
      expect(typeof r.body.error.message).toBe('string');
    }
  });

  it('joins the figures with the orders in GET /v1/kpis/channels, and names the new standards', async () => {
    // Prepare: web's spend, in two currencies (EUR has no revenue)
    await post('web', HUB_WRITER, [
      { key: 'w-mkt', date: '2026-03-10', kind: 'marketingSpend', currency: 'USD', amount: '100.00' },
      { key: 'w-acq', date: '2026-03-11', kind: 'acquisitionCost', currency: 'EUR', amount: '30.00' },
      { key: 'w-feb', date: '2026-02-11', kind: 'onboardingCost', currency: 'USD', amount: '999.00' },
    ]);
    // Act
    const res = await call('GET', '/v1/kpis/channels', HUB_WRITER, {
      query: { from: '2026-03-01', to: '2026-03-31', granularity: 'month', tz: 'UTC' },
    });
    // Assess: worked out from ORDERS and the entries sent above
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.channels.map((c: any) => [c.channel, c]));
    const acme = byName['acme-web'].total.economics;
    const acmeRevenue = 12_000 + 8_050; // March orders a1, a2
    expect(acme.spend.total).toEqual({ USD: '40.05' });
    expect(acme.returnOnSpend.USD).toBeCloseTo(acmeRevenue / 4_005, 6);
    expect(acme.costPerOrder).toEqual({ USD: '20.03' }); // 40.05 / 2 = 20.025 → 20.03
    expect(acme.satisfaction).toEqual({ score: (80 * 10 + 95 * 30) / 40, responses: 40 });
    expect(acme.pipeline).toEqual([
      { quarter: '2026-Q2', value: { USD: '12000.00' }, opportunities: 7, reportedOn: '2026-03-31' },
    ]);
    const web = byName.web.total.economics;
    expect(web.spend.total).toEqual({ EUR: '30.00', USD: '100.00' });
    expect(web.returnOnSpend).toEqual({ EUR: 0, USD: 3 });
    expect(web.costPerOrder).toEqual({ EUR: '30.00', USD: '100.00' });
    // acme had orders in February (the previous span) and in March: retained
    expect(res.body.partnerRetention.total).toEqual({ previous: 1, retained: 1, rate: 1 });
    expect(byName['acme-web'].standards).toEqual({ status: 'meets', failing: [], notEvaluated: [] });
  });
});
