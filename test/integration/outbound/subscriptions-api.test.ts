import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createHandler } from '#functions/stock/handler.ts';
import { putApiKey } from '#shared/aws/api-keys.ts';
import { putChannel } from '#shared/aws/channels.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { dynamoOutboundStore } from '#shared/aws/outbound-store.ts';
import { stockRuntime } from '#shared/aws/stock-runtime.ts';
import { documentClient } from '#shared/aws/table.ts';
import { handleOutboundMessage, type OutboundDeps } from '#shared/outbound/deliver.ts';
import type { StockAvailableChanged } from '#shared/outbound/events.ts';
import { fixedClock } from '../../support/clock.ts';
import { motoEnv, testClients, uniqueName } from '../../support/aws.ts';
import { freshTable } from '../../support/table.ts';
import { startReceiver, type WebhookReceiver } from '../../support/webhook-receiver.ts';

/**
 * The subscriptions admin API through the stock function's handler on moto: the same keys as the
 * stock API, partner isolation, the secret shown once, rotation with an overlap (a receiver holding
 * either secret verifies with the official library), disable / enable, the delivery log and replay.
 */
const context = {} as Context;
const KEYS = {
  admin: 'hub_test_subs_admin_0123456789abcdef',
  acme: 'hub_test_subs_acme_0123456789abcdef',
  globex: 'hub_test_subs_globex_0123456789abcdef',
  stockOnly: 'hub_test_subs_stock_0123456789abcdef',
};
// the machine's time (moved on by the test): the receiver verifies webhook-timestamp against its own clock, as a real one does
const clock = { now: Date.now() };
const now = () => new Date(clock.now);

let tbl: Awaited<ReturnType<typeof freshTable>>;
let handler: ReturnType<typeof createHandler>;
let receiver: WebhookReceiver;
let queueUrl: string;
const doc = documentClient(awsClientConfig(motoEnv()));

beforeAll(async () => {
  tbl = await freshTable('subsapi');
  const { sqs } = testClients();
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('subsapi') }))).QueueUrl!;
  const at = fixedClock()();
  await putApiKey(doc, tbl.tableName, KEYS.admin, { scopes: ['subscriptions:admin'], partner: null }, at);
  await putApiKey(doc, tbl.tableName, KEYS.acme, { scopes: ['subscriptions:admin'], partner: 'acme' }, at);
  await putApiKey(
    doc,
    tbl.tableName,
    KEYS.globex,
    { scopes: ['subscriptions:admin'], partner: 'globex', channels: ['globex-web'] },
    at,
  );
  await putApiKey(doc, tbl.tableName, KEYS.stockOnly, { scopes: ['stock:read', 'stock:write'], partner: null }, at);
  await putChannel(doc, tbl.tableName, { channel: 'acme-web', partner: 'acme' }, at);
  receiver = await startReceiver([]);
  handler = createHandler(() =>
    stockRuntime({ ...motoEnv(), HUB_TABLE_NAME: tbl.tableName, HUB_OUTBOUND_QUEUE_URL: queueUrl }, { doc, now }),
  );
});
afterAll(async () => {
  await receiver.close();
  await tbl.drop();
});

async function call(
  method: string,
  path: string,
  key: string | undefined,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const [rawPath, query] = path.split('?') as [string, string | undefined];
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: query ?? '',
    queryStringParameters: query ? Object.fromEntries(new URLSearchParams(query)) : undefined,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json' },
    requestContext: { http: { method }, requestId: 'req-1' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
  const res = (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
  return { status: res.statusCode ?? 0, json: res.body ? JSON.parse(res.body as string) : undefined };
}

function deliver(events: StockAvailableChanged[]) {
  const deps: OutboundDeps = {
    store: dynamoOutboundStore(doc, tbl.tableName, { now: () => clock.now, subscriptionsMaxAgeSeconds: 0 }),
    queue: { send: async () => undefined },
    post: async (url, init) => {
      const res = await fetch(url, { method: 'POST', headers: init.headers, body: init.body });
      return { status: res.status };
    },
    channelOwners: async () => (c) => (c === 'acme-web' ? 'acme' : null),
    now,
    random: () => 0.5,
  };
  return handleOutboundMessage(JSON.stringify({ kind: 'events', events }), deps);
}

const avail = (channel: string, sku: string, availableToSell: number, version: number): StockAvailableChanged => ({
  type: 'stock.available.changed',
  id: `avail:${channel}:${sku}:${version}`,
  at: now().toISOString(),
  data: { channel, sku, availableToSell, version },
});

describe('subscriptions admin API', () => {
  beforeEach(() => {
    clock.now = Date.now();
    receiver.rejected = 0;
  });
  it('creates a subscription, answers its secret once, and deliveries verify with it', async () => {
    const created = await call('POST', '/v1/subscriptions', KEYS.admin, {
      url: receiver.url,
      events: ['stock.available.changed'],
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: expect.stringMatching(/^sub_/), status: 'active', partner: null });
    expect(created.json.secret).toMatch(/^whsec_/);
    const got = await call('GET', `/v1/subscriptions/${created.json.id}`, KEYS.admin);
    expect(got.status).toBe(200);
    expect(JSON.stringify(got.json)).not.toContain('whsec_');

    receiver.secrets.splice(0, receiver.secrets.length, created.json.secret);
    await deliver([avail('shop', 'SKU-1', 7, 1)]);
    expect(receiver.received.map((r) => r.payload.id)).toContain('avail:shop:SKU-1:1');
    expect(receiver.rejected).toBe(0);
    await call('DELETE', `/v1/subscriptions/${created.json.id}`, KEYS.admin);
  });

  it('refuses bad input with a 4xx error body, never a 5xx', async () => {
    const cases: Array<[string, string, string | undefined, unknown, number, string]> = [
      [
        'POST',
        '/v1/subscriptions',
        KEYS.admin,
        { url: 'http://example.com/x', events: ['stock.available.changed'] },
        400,
        'invalid_request',
      ],
      [
        'POST',
        '/v1/subscriptions',
        KEYS.admin,
        { url: receiver.url, events: ['order.created'] },
        400,
        'invalid_request',
      ],
      [
        'POST',
        '/v1/subscriptions',
        KEYS.admin,
        { url: receiver.url, events: ['stock.available.changed'], extra: 1 },
        400,
        'invalid_request',
      ],
      ['POST', '/v1/subscriptions', KEYS.admin, '{not json', 400, 'invalid_json'],
      [
        'POST',
        '/v1/subscriptions',
        undefined,
        { url: receiver.url, events: ['stock.available.changed'] },
        401,
        'unauthorized',
      ],
      ['GET', '/v1/subscriptions', KEYS.stockOnly, undefined, 403, 'forbidden'],
      ['GET', '/v1/subscriptions/sub_doesnotexist00', KEYS.admin, undefined, 404, 'not_found'],
      ['GET', '/v1/subscriptions/%E0%A4%A', KEYS.admin, undefined, 400, 'invalid_id'],
      ['PATCH', '/v1/subscriptions/sub_doesnotexist00', KEYS.admin, {}, 400, 'invalid_request'],
      // a known path under another method: 405 (behind API Gateway, which matches routes first, a 404)
      ['PUT', '/v1/subscriptions', KEYS.admin, {}, 405, 'method_not_allowed'],
    ];
    for (const [method, path, key, body, status, code] of cases) {
      const res = await call(method, path, key, body);
      expect([method, path, res.status, res.json?.error?.code]).toEqual([method, path, status, code]);
      expect(typeof res.json.error.message).toBe('string');
    }
  });

  it('a partner key sees and manages only its own partner’s subscriptions', async () => {
    const hubWide = await call('POST', '/v1/subscriptions', KEYS.admin, {
      url: receiver.url,
      events: ['stock.available.changed'],
    });
    const own = await call('POST', '/v1/subscriptions', KEYS.acme, {
      url: receiver.url,
      events: ['stock.available.changed'],
    });
    expect(own.status).toBe(201);
    expect(own.json.partner).toBe('acme');
    expect(
      (
        await call('POST', '/v1/subscriptions', KEYS.acme, {
          url: receiver.url,
          events: ['stock.available.changed'],
          partner: 'globex',
        })
      ).status,
    ).toBe(403);
    // a key limited to channels subscribes only to those
    expect(
      (await call('POST', '/v1/subscriptions', KEYS.globex, { url: receiver.url, events: ['stock.available.changed'] }))
        .status,
    ).toBe(403);
    expect(
      (
        await call('POST', '/v1/subscriptions', KEYS.globex, {
          url: receiver.url,
          events: ['stock.available.changed'],
          channels: ['globex-web'],
        })
      ).status,
    ).toBe(201);

    const listed = await call('GET', '/v1/subscriptions', KEYS.acme);
    expect(listed.json.data.map((s: { id: string }) => s.id)).toEqual([own.json.id]);
    for (const [method, suffix] of [
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['POST', '/rotate-secret'],
      ['GET', '/deliveries'],
    ] as const) {
      const res = await call(
        method,
        `/v1/subscriptions/${hubWide.json.id}${suffix}`,
        KEYS.acme,
        method === 'PATCH' ? { status: 'disabled' } : undefined,
      );
      expect([method, suffix, res.status]).toEqual([method, suffix, 404]);
    }
    const all = await call('GET', '/v1/subscriptions', KEYS.admin);
    expect(all.json.data.length).toBeGreaterThanOrEqual(3);
    for (const s of all.json.data) await call('DELETE', `/v1/subscriptions/${s.id}`, KEYS.admin);
  });

  it('rotates the secret with an overlap: both sign until it ends; updates, disables and enables', async () => {
    const created = await call('POST', '/v1/subscriptions', KEYS.admin, {
      url: receiver.url,
      events: ['stock.available.changed'],
    });
    const id = created.json.id as string;
    const rotated = await call('POST', `/v1/subscriptions/${id}/rotate-secret`, KEYS.admin, { overlapSeconds: 3600 });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secrets).toHaveLength(2);
    expect(rotated.json.secrets[0].expiresAt).toBe(new Date(clock.now + 3_600_000).toISOString());
    // a receiver holding only the old secret still verifies within the overlap, one holding the new one too
    receiver.secrets.splice(0, receiver.secrets.length, created.json.secret);
    await deliver([avail('shop', 'SKU-R', 1, 1)]);
    receiver.secrets.splice(0, receiver.secrets.length, rotated.json.secret);
    await deliver([avail('shop', 'SKU-R', 2, 2)]);
    expect(receiver.rejected).toBe(0);
    // past the overlap the old secret no longer signs
    clock.now += 3_600_001;
    receiver.secrets.splice(0, receiver.secrets.length, created.json.secret);
    await deliver([avail('shop', 'SKU-R', 3, 3)]);
    expect(receiver.rejected).toBe(1);
    receiver.rejected = 0;
    expect((await call('POST', `/v1/subscriptions/${id}/end-rotation`, KEYS.admin)).json.secrets).toHaveLength(1);

    const patched = await call('PATCH', `/v1/subscriptions/${id}`, KEYS.admin, {
      channels: ['shop'],
      events: ['stock.available.changed', 'stock.balance.changed'],
      status: 'disabled',
    });
    expect(patched.json).toMatchObject({ channels: ['shop'], status: 'disabled' });
    const enabled = await call('PATCH', `/v1/subscriptions/${id}`, KEYS.admin, { status: 'active', channels: null });
    expect(enabled.json.status).toBe('active');
    expect(enabled.json.channels).toBeUndefined();
    await call('DELETE', `/v1/subscriptions/${id}`, KEYS.admin);
    expect((await call('GET', `/v1/subscriptions/${id}`, KEYS.admin)).status).toBe(404);
  });

  it('lists the delivery log of a range and replays it onto the outbound queue', async () => {
    const created = await call('POST', '/v1/subscriptions', KEYS.admin, {
      url: receiver.url,
      events: ['stock.available.changed'],
    });
    const id = created.json.id as string;
    receiver.secrets.splice(0, receiver.secrets.length, created.json.secret);
    const from = now().toISOString();
    await deliver([avail('shop', 'SKU-L', 4, 1), avail('shop', 'SKU-M', 9, 1)]);
    await deliver([avail('shop', 'SKU-L', 5, 2)]);
    const log = await call('GET', `/v1/subscriptions/${id}/deliveries?from=${encodeURIComponent(from)}`, KEYS.admin);
    expect(log.status).toBe(200);
    expect(log.json.data.map((d: { eventId: string; status: string }) => [d.eventId, d.status]).sort()).toEqual([
      ['avail:shop:SKU-L:1', 'delivered'],
      ['avail:shop:SKU-L:2', 'delivered'],
      ['avail:shop:SKU-M:1', 'delivered'],
    ]);
    const replayed = await call('POST', `/v1/subscriptions/${id}/replay`, KEYS.admin, { from });
    expect(replayed).toMatchObject({ status: 202, json: { queued: 2 } });
    const { sqs } = testClients();
    const bodies: string[] = [];
    for (let i = 0; i < 5 && bodies.length < 2; i++) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      bodies.push(...(r.Messages ?? []).map((m) => m.Body!));
    }
    expect(bodies.map((b) => (JSON.parse(b) as { event: { id: string } }).event.id).sort()).toEqual([
      'avail:shop:SKU-L:2',
      'avail:shop:SKU-M:1',
    ]);
    expect((await call('POST', `/v1/subscriptions/${id}/replay`, KEYS.admin, { from: 'yesterday' })).status).toBe(400);
  });
});
