import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHandler } from '#functions/stock/handler.ts';
import { STOCK_TABLE_PARTITIONS } from '#infra/hub-stack.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '#shared/aws/api-key-admin.ts';
import { putApiKey } from '#shared/aws/api-keys.ts';
import { putChannel } from '#shared/aws/channels.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { stockRuntime } from '#shared/aws/stock-runtime.ts';
import type { DynamoTable } from '#shared/aws/table.ts';
import type { StockAdjusted, StockLevelSet } from '#shared/domain/events.ts';
import { adapt } from '#shared/adapters/index.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { inputFor, payload } from '../fixtures/payloads.ts';
import { keys } from '#shared/table/keys.ts';
import { motoEnv } from '../support/aws.ts';
import { foldTable } from '../support/fold.ts';
import { freshTable } from '../support/table.ts';
import { fixedClock, runningClock } from '../support/clock.ts';

const context = {} as Context;
const SETTLE_SECONDS = 1;

let table: DynamoTable;
let tableName: string;
let drop: () => Promise<void>;
let doc: DynamoDBDocumentClient;
/** every DynamoDB command the handler sends, by name and table/index */
const sent: { command: string; input: Record<string, unknown> }[] = [];
/** every DynamoDB command the handler sent during the whole file (the tests' own seeding aside) */
const handlerSent: { command: string; input: Record<string, any> }[] = [];
let inHandler = false;
/** added to the handler's clock: lets a test step past the key cache */
const clock = { offsetMs: 0 };
/** the stock API's clock: the machine's, moved by `offsetMs` (the feed's settle window needs time to pass) */
const running = runningClock();
const testNow = () => new Date(running.ms() + clock.offsetMs);
let handler: ReturnType<typeof createHandler>;

const KEYS = {
  read: 'hub_test_read_0123456789abcdef',
  write: 'hub_test_write_0123456789abcdef',
  kpiOnly: 'hub_test_kpi_0123456789abcdef',
  partner: 'hub_test_partner_0123456789abcdef',
};

beforeAll(async () => {
  ({ table, tableName, drop } = await freshTable('stockapi'));
  const client = new DynamoDBClient(awsClientConfig(motoEnv()));
  client.middlewareStack.add(
    (next, ctx) => async (args) => {
      sent.push({ command: ctx.commandName ?? '?', input: args.input as Record<string, unknown> });
      if (inHandler) handlerSent.push({ command: ctx.commandName ?? '?', input: args.input as Record<string, any> });
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  await putApiKey(doc, tableName, KEYS.read, { scopes: ['stock:read'], partner: null }, fixedClock()());
  await putApiKey(doc, tableName, KEYS.write, { scopes: ['stock:read', 'stock:write'], partner: null }, fixedClock()());
  await putApiKey(doc, tableName, KEYS.kpiOnly, { scopes: ['kpi:read'], partner: null }, fixedClock()());
  await putApiKey(
    doc,
    tableName,
    KEYS.partner,
    { scopes: ['stock:read', 'stock:write'], partner: 'acme', locations: ['WH-B'] },
    fixedClock()(),
  );
  await putChannel(
    doc,
    tableName,
    { channel: 'amazon', allocation: { share: 0.5, buffer: 5, maxListed: 100 } },
    fixedClock()(),
  );
  await putChannel(
    doc,
    tableName,
    { channel: 'acme-web', partner: 'acme', allocation: { locations: ['WH-B'] } },
    fixedClock()(),
  );
  handler = createHandler(() =>
    stockRuntime(
      { ...motoEnv(), HUB_TABLE_NAME: tableName, HUB_FEED_SETTLE_SECONDS: String(SETTLE_SECONDS) },
      { doc, now: testNow },
    ),
  );
});
afterAll(async () => drop());

const base = { channel: 'wms', source: 'test', occurredAt: '2026-03-01T00:00:00.000Z' };
let seq = 0;
function count(
  sku: string,
  location: string,
  quantity: number,
  asOf = new Date(Date.UTC(2026, 0, 1) + ++seq * 1000).toISOString(),
): StockLevelSet {
  return {
    ...base,
    type: 'StockLevelSet',
    deliveryId: `d${seq}`,
    sku,
    locationId: location,
    quantity,
    bucket: 'on_hand',
    asOf,
  };
}

async function request(
  routeKey: 'GET /v1/stock/{sku}' | 'GET /v1/stock' | 'POST /v1/stock/counts',
  opts: {
    key?: string;
    sku?: string;
    query?: Record<string, string>;
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<APIGatewayProxyStructuredResultV2> {
  const rawPath =
    routeKey === 'GET /v1/stock/{sku}' ? `/v1/stock/${encodeURIComponent(opts.sku ?? '')}` : routeKey.split(' ')[1]!;
  const event = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(opts.query ?? {}).toString(),
    headers: { ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}), ...opts.headers },
    ...(opts.query ? { queryStringParameters: opts.query } : {}),
    ...(opts.sku !== undefined ? { pathParameters: { sku: opts.sku } } : {}),
    requestContext: { http: { method: routeKey.split(' ')[0]!, path: rawPath }, requestId: 'req-1', routeKey },
    ...(opts.body !== undefined
      ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body), isBase64Encoded: false }
      : { isBase64Encoded: false }),
  } as unknown as APIGatewayProxyEventV2;
  inHandler = true;
  try {
    return (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
  } finally {
    inHandler = false;
  }
}

const json = (res: APIGatewayProxyStructuredResultV2) => JSON.parse(String(res.body));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stock API: keys', () => {
  beforeAll(async () => {
    await applyEvent(table, count('AUTH-1', 'WH-A', 10), testNow);
    await applyEvent(table, count('AUTH-1', 'WH-B', 4), testNow);
  });

  it.each([
    ['no key', undefined, {}, 401, 'unauthorized'],
    ['an unknown key', 'hub_made_up_0123456789', {}, 401, 'unauthorized'],
    ['a key without stock:read', KEYS.kpiOnly, {}, 403, 'forbidden'],
    ['a partner key asking for a location not its own', KEYS.partner, { location: 'WH-A' }, 403, 'forbidden'],
    ['a partner key asking for a channel not its own', KEYS.partner, { channel: 'amazon' }, 403, 'forbidden'],
    ['a read key', KEYS.read, {}, 200, undefined],
    ['a partner key within its locations', KEYS.partner, { location: 'WH-B' }, 200, undefined],
  ])('%s → %i', async (_name, key, query, status, code) => {
    // Prepare / Act
    const res = await request('GET /v1/stock/{sku}', { key, sku: 'AUTH-1', query });
    // Assess
    expect(res.statusCode).toBe(status);
    expect(res.headers?.['content-type']).toBe('application/json');
    if (code) expect(json(res)).toEqual({ error: { code, message: expect.any(String) } });
  });

  it('shows a partner key only its own locations and channels', async () => {
    // Prepare / Act
    const res = await request('GET /v1/stock/{sku}', { key: KEYS.partner, sku: 'AUTH-1' });
    // Assess
    expect(json(res)).toMatchObject({
      available: 4,
      locations: [{ location: 'WH-B' }],
      channels: [{ channel: 'acme-web', availableToSell: 4 }],
    });
  });

  it('refuses a partner key writing counts outside its locations', async () => {
    // Prepare / Act
    const res = await request('POST /v1/stock/counts', {
      key: KEYS.partner,
      body: { counts: [{ sku: 'AUTH-1', location: 'WH-A', onHand: 1, asOf: '2026-02-01T00:00:00Z' }] },
    });
    // Assess
    expect(res.statusCode).toBe(403);
    expect((await table.get(keys.balance('AUTH-1', 'WH-A')))?.onHand).toBe(10);
  });

  it('refuses a read-only key on the count endpoint', async () => {
    // Prepare / Act
    const res = await request('POST /v1/stock/counts', { key: KEYS.read, body: { counts: [] } });
    // Assess
    expect(res.statusCode).toBe(403);
  });

  it('creates a key shown once, lists it by hash only, and a revocation takes effect within a minute', async () => {
    // Prepare
    const { key, record } = await createApiKey(doc, tableName, { scopes: ['stock:read'], partner: null }, testNow());
    const before = await request('GET /v1/stock/{sku}', { key, sku: 'AUTH-1' });
    const listed = await listApiKeys(doc, tableName);
    // Act
    expect(await revokeApiKey(doc, tableName, record.keyHash, testNow())).toBe(true);
    const cached = await request('GET /v1/stock/{sku}', { key, sku: 'AUTH-1' });
    clock.offsetMs = 61_000;
    const after = await request('GET /v1/stock/{sku}', { key, sku: 'AUTH-1' }).finally(() => (clock.offsetMs = 0));
    // Assess
    expect(key).toMatch(/^hub_[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(listed)).not.toContain(key);
    expect(listed.find((k) => k.keyHash === record.keyHash)).toMatchObject({ revoked: false, scopes: ['stock:read'] });
    expect([before.statusCode, cached.statusCode, after.statusCode]).toEqual([200, 200, 401]);
    expect(json(after).error.code).toBe('unauthorized');
    expect(await revokeApiKey(doc, tableName, '0'.repeat(64), testNow())).toBe(false);
  });
});

describe('stock API: GET /v1/stock/{sku}', () => {
  beforeAll(async () => {
    await applyEvent(table, count('SKU-1', 'WH-A', 40), testNow);
    await applyEvent(table, count('SKU-1', 'WH-B', 25), testNow);
    // a long history: ledger rows in the same partition, which a stock read must not touch
    for (let i = 0; i < 40; i++) {
      const move: StockAdjusted = {
        ...base,
        type: 'StockAdjusted',
        deliveryId: `m${i}`,
        sku: 'SKU-1',
        locationId: 'WH-A',
        delta: i % 2 ? 1 : -1,
        reason: 'manual',
        idempotencyKey: `m${i}`,
        at: new Date(Date.UTC(2026, 5, 1) + i * 1000).toISOString(),
      };
      await applyEvent(table, move, testNow);
    }
  });

  it('answers balances and per-channel available-to-sell in one query, however long the ledger', async () => {
    // Prepare: the first read warms the key and channel caches
    await request('GET /v1/stock/{sku}', { key: KEYS.read, sku: 'SKU-1' });
    sent.length = 0;
    // Act
    const res = await request('GET /v1/stock/{sku}', { key: KEYS.read, sku: 'SKU-1' });
    // Assess
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(body).toEqual({
      sku: 'SKU-1',
      available: 65,
      locations: [
        { location: 'WH-A', onHand: 40, reserved: 0, available: 40, updatedAt: expect.any(String) },
        { location: 'WH-B', onHand: 25, reserved: 0, available: 25, updatedAt: expect.any(String) },
      ],
      // amazon: floor(65 × 0.5) − 5 = 27; acme-web: fed by WH-B only
      channels: [
        { channel: 'acme-web', availableToSell: 25 },
        { channel: 'amazon', availableToSell: 27 },
      ],
    });
    expect(sent.map((s) => s.command)).toEqual(['QueryCommand']);
    expect(sent[0]!.input).toMatchObject({
      TableName: tableName,
      ExpressionAttributeValues: { ':pk': 'SKU#SKU-1', ':from': 'LISTED#', ':to': 'LOC$' },
    });
  });

  it('answers 404 with a JSON error for an unknown SKU', async () => {
    // Prepare / Act
    const res = await request('GET /v1/stock/{sku}', { key: KEYS.read, sku: 'NO-SUCH-SKU' });
    // Assess
    expect(res.statusCode).toBe(404);
    expect(json(res)).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('answers 304 to a matching If-None-Match, and 200 again once the stock changes', async () => {
    // Prepare
    const first = await request('GET /v1/stock/{sku}', { key: KEYS.read, sku: 'SKU-1' });
    const etag = String(first.headers?.etag);
    // Act
    const same = await request('GET /v1/stock/{sku}', {
      key: KEYS.read,
      sku: 'SKU-1',
      headers: { 'if-none-match': etag },
    });
    await applyEvent(table, count('SKU-1', 'WH-B', 24, new Date(Date.UTC(2026, 6, 1)).toISOString()), testNow);
    const changed = await request('GET /v1/stock/{sku}', {
      key: KEYS.read,
      sku: 'SKU-1',
      headers: { 'if-none-match': etag },
    });
    // Assess
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(same.statusCode).toBe(304);
    expect(same.body).toBe('');
    expect(same.headers?.etag).toBe(etag);
    expect(changed.statusCode).toBe(200);
    expect(changed.headers?.etag).not.toBe(etag);
  });
});

describe('stock API: malformed input answers 4xx JSON', () => {
  it.each([
    ['a feed without updatedSince or cursor', 'GET /v1/stock' as const, { query: {} }, 400],
    [
      'a feed with limit 5000',
      'GET /v1/stock' as const,
      { query: { updatedSince: '2026-01-01T00:00:00Z', limit: '5000' } },
      400,
    ],
    ['a forged cursor', 'GET /v1/stock' as const, { query: { cursor: 'eyJ2IjoyfQ' } }, 400],
    ['a SKU with "#"', 'GET /v1/stock/{sku}' as const, { sku: 'A#B' }, 400],
    ['counts that are not JSON', 'POST /v1/stock/counts' as const, { body: '{"counts": [' }, 400],
    ['counts without a body', 'POST /v1/stock/counts' as const, {}, 400],
    [
      '1001 counts',
      'POST /v1/stock/counts' as const,
      { body: { counts: Array.from({ length: 1001 }, () => ({})) } },
      413,
    ],
  ])('%s → %i', async (_name, route, opts, status) => {
    // Prepare / Act
    const res = await request(route, { key: KEYS.write, ...opts });
    // Assess
    expect(res.statusCode).toBe(status);
    expect(json(res).error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
  });
});

describe('stock API: routing without a routeKey (function URL)', () => {
  const bare = (method: string, rawPath: string) =>
    handler(
      {
        version: '2.0',
        rawPath,
        headers: { authorization: `Bearer ${KEYS.read}` },
        requestContext: { http: { method } },
      } as unknown as APIGatewayProxyEventV2,
      context,
    ) as Promise<APIGatewayProxyStructuredResultV2>;

  it('routes by method and rawPath, decoding the SKU', async () => {
    // Prepare
    await applyEvent(table, count('RAW 1', 'WH-A', 3), testNow);
    // Act
    const res = await bare('GET', '/v1/stock/RAW%201');
    // Assess
    expect(res.statusCode).toBe(200);
    expect(json(res).sku).toBe('RAW 1');
  });

  it.each([
    ['an unknown path', 'GET', '/v1/stockx', 404],
    ['a wrong method', 'DELETE', '/v1/stock/RAW%201', 405],
    ['broken percent-encoding', 'GET', '/v1/stock/%E0%A4%A', 400],
  ])('answers %s with a JSON %i', async (_name, method, path, status) => {
    // Prepare / Act
    const res = await bare(method, path);
    // Assess
    expect(res.statusCode).toBe(status);
    expect(json(res).error.code).toEqual(expect.any(String));
  });
});

describe('stock API: POST /v1/stock/counts', () => {
  it('applies the valid rows through the stock.set path and reports the invalid ones by row', async () => {
    // Prepare
    const counts = [
      { sku: 'CNT-1', location: 'WH-A', onHand: 7, asOf: '2026-03-01T10:00:00Z' },
      { sku: 'CNT-2', location: 'WH-A', onHand: -2, asOf: '2026-03-01T10:00:00Z' },
      { sku: 'CNT-3', location: 'WH-B', onHand: 3, asOf: '2026-03-01T10:00:00+01:00' },
      { sku: 'CNT-4', location: 'WH-A', onHand: 1 },
    ];
    // Act
    const res = await request('POST /v1/stock/counts', { key: KEYS.write, body: { counts } });
    const resent = await request('POST /v1/stock/counts', {
      key: KEYS.write,
      body: { counts: [counts[0], counts[2]] },
    });
    // Assess
    expect(res.statusCode).toBe(400);
    const { error } = json(res);
    expect(error.code).toBe('invalid_rows');
    expect(error.details).toMatchObject({
      applied: 2,
      unchanged: 0,
      rows: [
        { row: 1, reason: expect.stringMatching(/onHand/) },
        { row: 3, reason: expect.stringMatching(/asOf/) },
      ],
    });
    expect(await table.get(keys.balance('CNT-1', 'WH-A'))).toMatchObject({
      onHand: 7,
      available: 7,
      countAsOf: '2026-03-01T10:00:00.000Z',
      countSource: 'wms',
    });
    expect(await table.get(keys.balance('CNT-3', 'WH-B'))).toMatchObject({
      onHand: 3,
      countAsOf: '2026-03-01T09:00:00.000Z',
    });
    expect(await table.get(keys.balance('CNT-2', 'WH-A'))).toBeUndefined();
    expect(resent.statusCode).toBe(200);
    expect(json(resent)).toEqual({ applied: 0, unchanged: 2 });
  });
});

describe('stock API: GET /v1/stock (delta feed)', () => {
  it('pages every change exactly once while writes and folds continue, a lagging fold clock included', async () => {
    // Prepare: 12 balances, three writers, the fold (its clock 400 ms behind) writing change pages
    // as it goes, a client paging 3 at a time
    const { table: feedTable, tableName: feedTableName, drop: dropFeed } = await freshTable('stockfeed');
    try {
      await putApiKey(doc, feedTableName, KEYS.read, { scopes: ['stock:read'], partner: null }, fixedClock()());
      await putChannel(doc, feedTableName, { channel: 'amazon' }, fixedClock()());
      const feedHandler = createHandler(() =>
        stockRuntime(
          { ...motoEnv(), HUB_TABLE_NAME: feedTableName, HUB_FEED_SETTLE_SECONDS: String(SETTLE_SECONDS) },
          { doc, now: testNow },
        ),
      );
      const page = async (query: Record<string, string>) => {
        const res = (await feedHandler(
          {
            version: '2.0',
            routeKey: 'GET /v1/stock',
            rawPath: '/v1/stock',
            headers: { authorization: `Bearer ${KEYS.read}` },
            queryStringParameters: query,
            requestContext: { http: { method: 'GET' } },
          } as unknown as APIGatewayProxyEventV2,
          context,
        )) as APIGatewayProxyStructuredResultV2;
        expect(res.statusCode).toBe(200);
        return json(res) as {
          items: { sku: string; location: string; available: number; updatedAt: string; rev: number }[];
          nextCursor: string;
          hasMore: boolean;
        };
      };
      const balances = ['F1', 'F2', 'F3', 'F4', 'F5', 'F6'].flatMap((sku) =>
        ['WH-A', 'WH-B'].map((loc) => [sku, loc] as const),
      );
      const since = testNow().toISOString();
      let asOf = Date.UTC(2026, 0, 1);
      const nextCount = (sku: string, loc: string) =>
        count(sku, loc, Math.floor(Math.random() * 100), new Date((asOf += 1000)).toISOString());
      const writer = async (n: number, lagMs: number) => {
        for (let i = 0; i < n; i++) {
          const [sku, loc] = balances[Math.floor(Math.random() * balances.length)]!;
          await applyEvent(feedTable, nextCount(sku, loc), () => new Date(testNow().getTime() - lagMs));
        }
      };
      let writing = true;
      // the fold stamps its pages 400 ms behind the reader's clock: a cursor allowed up to "now"
      // would already be past those stamps when the pages land
      const foldClock = () => testNow().getTime() - 400;
      let folding = true;
      const folds = (async () => {
        while (folding) {
          await foldTable(feedTable, feedTableName, 'UTC', foldClock);
          await sleep(50);
        }
        await foldTable(feedTable, feedTableName, 'UTC', foldClock);
      })();
      const writes = (async () => {
        await Promise.all([writer(20, 0), writer(20, 0), writer(20, 400)]);
        for (const [sku, loc] of balances)
          await applyEvent(feedTable, nextCount(sku, loc), () => new Date(testNow().getTime() - 400));
        writing = false;
        folding = false;
        await folds;
      })();

      // Act: page while writing, then until caught up past the settle window
      const seen: { sku: string; location: string; available: number; updatedAt: string; rev: number }[] = [];
      let query: Record<string, string> = { updatedSince: since, limit: '3' };
      let pages = 0;
      let doneAt = Number.POSITIVE_INFINITY;
      for (;;) {
        const p = await page(query);
        pages++;
        seen.push(...p.items);
        query = { cursor: p.nextCursor, limit: '3' };
        if (!writing && doneAt === Number.POSITIVE_INFINITY) doneAt = testNow().getTime();
        if (!p.hasMore && testNow().getTime() > doneAt + SETTLE_SECONDS * 1000 + 300) break;
        if (!p.hasMore) await sleep(25);
      }
      await writes;

      // Assess
      const final = await Promise.all(balances.map(([sku, loc]) => feedTable.get(keys.balance(sku, loc))));
      const states = seen.map((r) => `${r.sku}#${r.location}#${r.rev}`);
      // no state delivered twice
      expect(new Set(states).size).toBe(states.length);
      for (const [i, [sku, loc]] of balances.entries()) {
        const mine = seen.filter((r) => r.sku === sku && r.location === loc);
        // each balance's states in the order they happened (rev rising) ...
        expect(mine.map((r) => r.rev)).toEqual([...mine.map((r) => r.rev)].sort((a, b) => a - b));
        // ... the last one its final state
        expect(mine.at(-1), `${sku}@${loc}`).toMatchObject({
          rev: final[i]!.rev,
          updatedAt: final[i]!.updatedAt,
          available: final[i]!.available,
        });
      }
      // only balances: the channel item sharing the index is never served
      expect(seen.every((r) => r.sku.startsWith('F'))).toBe(true);
      expect(pages).toBeGreaterThan(balances.length / 3);
    } finally {
      await dropFeed();
    }
  });

  it('serves a location filter and a partner key only its locations', async () => {
    // Prepare
    const since = new Date(testNow().getTime() - 60_000).toISOString();
    await applyEvent(table, count('LOCF-1', 'WH-A', 1), () => new Date(testNow().getTime() - 30_000));
    await applyEvent(table, count('LOCF-1', 'WH-B', 2), () => new Date(testNow().getTime() - 30_000));
    // the counts reach the feed with the fold's next batch
    await foldTable(table, tableName, 'UTC', () => testNow().getTime() - 30_000);
    // Act
    const a = json(
      await request('GET /v1/stock', { key: KEYS.read, query: { updatedSince: since, location: 'WH-A' } }),
    );
    const p = json(await request('GET /v1/stock', { key: KEYS.partner, query: { updatedSince: since } }));
    const denied = await request('GET /v1/stock', {
      key: KEYS.partner,
      query: { updatedSince: since, location: 'WH-A' },
    });
    // Assess
    expect(
      a.items.filter((r: { sku: string }) => r.sku === 'LOCF-1').map((r: { location: string }) => r.location),
    ).toEqual(['WH-A']);
    expect(new Set(p.items.map((r: { location: string }) => r.location))).toEqual(new Set(['WH-B']));
    expect(denied.statusCode).toBe(403);
  });
});

describe('stock API: what Amazon lists (MFN quantity)', () => {
  /**
   * An SP-API LISTINGS_ITEM_MFN_QUANTITY_CHANGE notification for the amazon channel. The body is
   * test/fixtures/payloads/amazon/listings-item-mfn-quantity-change.json, which mirrors the example
   * of the SP-API notification schema ListingsItemMfnQuantityChange.json; SKU, quantity and time set here.
   */
  function mfn(sku: string, quantity: number, eventTime: string) {
    const body = payload('amazon', 'listings-item-mfn-quantity-change');
    body.Payload.Sku = sku;
    body.Payload.Quantity = quantity;
    body.EventTime = eventTime;
    return adapt(inputFor('amazon', 'LISTINGS_ITEM_MFN_QUANTITY_CHANGE', body, { channel: 'amazon' }));
  }

  it('shows the listed quantity beside the channel, never as stock on hand', async () => {
    // Prepare: 100 counted at the warehouse; Amazon then says it lists 99
    await applyEvent(table, count('MFN-1', 'WH-A', 100), testNow);
    const results: string[] = [];
    // Act: the notification, its redelivery, and an older one arriving late
    for (const e of mfn('MFN-1', 99, '2026-03-02T23:02:41.117Z')) results.push(await applyEvent(table, e, testNow));
    for (const e of mfn('MFN-1', 99, '2026-03-02T23:02:41.117Z')) results.push(await applyEvent(table, e, testNow));
    for (const e of mfn('MFN-1', 120, '2026-03-02T20:00:00.000Z')) results.push(await applyEvent(table, e, testNow));
    const res = await request('GET /v1/stock/{sku}', { key: KEYS.read, sku: 'MFN-1' });
    // Assess
    expect(results).toEqual(['applied', 'noop', 'noop']);
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(body.available).toBe(100);
    expect(body.locations).toEqual([
      { location: 'WH-A', onHand: 100, reserved: 0, available: 100, updatedAt: expect.any(String) },
    ]);
    // amazon: min(floor(100 × 0.5) − 5, 100) = 45 by its rule; 99 is what Amazon reports listing
    expect(body.channels).toContainEqual({
      channel: 'amazon',
      availableToSell: 45,
      listedQuantity: 99,
      listedAsOf: '2026-03-02T23:02:41.117Z',
    });
    expect(body.channels.find((c: { channel: string }) => c.channel === 'acme-web')).not.toHaveProperty(
      'listedQuantity',
    );
  });

  it('takes a newer listed quantity over the stored one', async () => {
    // Prepare
    for (const e of mfn('MFN-2', 10, '2026-03-02T10:00:00.000Z')) await applyEvent(table, e, testNow);
    await applyEvent(table, count('MFN-2', 'WH-A', 8), testNow);
    // Act
    for (const e of mfn('MFN-2', 3, '2026-03-02T11:00:00.000Z')) await applyEvent(table, e, testNow);
    const res = await request('GET /v1/stock/{sku}', { key: KEYS.read, sku: 'MFN-2', query: { channel: 'amazon' } });
    // Assess
    expect(json(res).channels).toEqual([
      { channel: 'amazon', availableToSell: 0, listedQuantity: 3, listedAsOf: '2026-03-02T11:00:00.000Z' },
    ]);
  });
});

describe('the deployed stock role', () => {
  it('allows every table partition the requests above read or wrote (its dynamodb:LeadingKeys list)', () => {
    // Prepare: the partition keys of every table call the handler made (index reads aside)
    const pkOf = (c: { command: string; input: Record<string, any> }): string[] => {
      switch (c.command) {
        case 'GetItemCommand':
        case 'UpdateItemCommand':
          return [c.input.Key.pk];
        case 'PutItemCommand':
          return [c.input.Item.pk];
        case 'QueryCommand': {
          const name = /^pk = (:\w+)/.exec(c.input.KeyConditionExpression)?.[1];
          return [name ? c.input.ExpressionAttributeValues[name] : `<unparsed ${c.input.KeyConditionExpression}>`];
        }
        case 'BatchGetItemCommand':
          return Object.values(c.input.RequestItems as Record<string, { Keys: Array<{ pk: string }> }>).flatMap((r) =>
            r.Keys.map((k) => k.pk),
          );
        case 'TransactWriteItemsCommand':
          return (
            c.input.TransactItems as Array<Record<string, { Key?: { pk: string }; Item?: { pk: string } }>>
          ).flatMap((t) => Object.values(t).map((op) => op.Item?.pk ?? op.Key?.pk ?? '<no key>'));
        default:
          return [`<${c.command}>`];
      }
    };
    const calls = handlerSent.filter((c) => !c.input.IndexName);
    const pks = [...new Set(calls.flatMap(pkOf))];
    // Act
    const patterns = STOCK_TABLE_PARTITIONS.map((p) => new RegExp(`^${p.replace(/\*/g, '.*')}$`));
    const refused = pks.filter((pk) => !patterns.some((p) => p.test(pk)));
    // Assess: the check saw key lookups, balance reads and count writes, and all are allowed
    expect(pks.some((pk) => pk.startsWith('KEY#'))).toBe(true);
    expect(pks.some((pk) => pk.startsWith('SKU#'))).toBe(true);
    expect(calls.some((c) => /^(PutItem|UpdateItem|TransactWriteItems)Command$/.test(c.command))).toBe(true);
    expect(refused).toEqual([]);
  });
});
