import { afterEach, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  createHubHttpServer,
  fromHandlerResult,
  isTextContentType,
  matchRoute,
  toApiGatewayEvent,
  type HttpInvoke,
  type HubHttpServer,
} from '#infra/local/http.ts';

import { toIngestRequest } from '#functions/ingest/handler.ts';
import { verifySignature } from '#shared/ingest/schemes/registry.ts';
import { testConnection } from '#test/fixtures/ingest-ports.ts';
import { signedRequest, staticEbayKeys } from '#test/fixtures/signing.ts';

const ingestRoute = { target: 'ingest' as const, routeKey: '$default' };

describe('matchRoute', () => {
  it('sends every webhook path and method to ingest as a function URL', () => {
    expect(matchRoute('POST', '/webhooks/demo-shop')).toEqual({ target: 'ingest', routeKey: '$default' });
    expect(matchRoute('GET', '/webhooks/ebay-1')).toEqual({ target: 'ingest', routeKey: '$default' });
    expect(matchRoute('POST', '/webhooks/a/b')?.pathParameters).toBeUndefined();
  });

  it('matches the HTTP API routes with decoded path parameters, literals before parameters', () => {
    expect(matchRoute('GET', '/v1/stock')).toEqual({ target: 'stock', routeKey: 'GET /v1/stock' });
    expect(matchRoute('GET', '/v1/stock/SKU%20RED%2FL')).toEqual({
      target: 'stock',
      routeKey: 'GET /v1/stock/{sku}',
      pathParameters: { sku: 'SKU RED/L' },
    });
    expect(matchRoute('POST', '/v1/stock/counts')).toEqual({ target: 'stock', routeKey: 'POST /v1/stock/counts' });
    expect(matchRoute('GET', '/v1/kpis/channels/shopify-eu')).toEqual({
      target: 'kpi',
      routeKey: 'GET /v1/kpis/channels/{channel}',
      pathParameters: { channel: 'shopify-eu' },
    });
  });

  it('sends GET / (the landing page) and GET /api (the API reference) to docs', () => {
    expect(matchRoute('GET', '/')).toEqual({ target: 'docs', routeKey: 'GET /' });
    expect(matchRoute('GET', '/api')).toEqual({ target: 'docs', routeKey: 'GET /api' });
  });

  it('answers nothing for unknown paths and methods, as API Gateway 404s them', () => {
    expect(matchRoute('POST', '/')).toBeUndefined();
    expect(matchRoute('GET', '/nope')).toBeUndefined();
    expect(matchRoute('DELETE', '/v1/stock/SKU-1')).toBeUndefined();
    expect(matchRoute('GET', '/v1/stock/')).toBeUndefined();
    expect(matchRoute('GET', '/v1/stock/a/b')).toBeUndefined();
    expect(matchRoute('GET', '/webhooksX')).toBeUndefined();
  });
});

describe('toApiGatewayEvent', () => {
  const base = {
    method: 'POST',
    sourceIp: '127.0.0.1',
    requestId: 'req-1',
    now: new Date('2026-03-12T19:03:58.390Z'),
  };

  it('builds a payload format 2.0 event with joined headers, cookies and query parameters', () => {
    // Act
    const event = toApiGatewayEvent({
      ...base,
      method: 'GET',
      url: '/v1/stock/SKU-1?location=berlin&location=paris&q=a%20b+c&empty=',
      rawHeaders: [
        'Host',
        'localhost:3000',
        'X-Multi',
        'a',
        'x-multi',
        'b',
        'User-Agent',
        'curl/8',
        'Cookie',
        'a=1; b=2',
      ],
      body: Buffer.alloc(0),
      route: matchRoute('GET', '/v1/stock/SKU-1')!,
    });

    // Assess
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /v1/stock/{sku}',
      rawPath: '/v1/stock/SKU-1',
      rawQueryString: 'location=berlin&location=paris&q=a%20b+c&empty=',
      cookies: ['a=1', 'b=2'],
      queryStringParameters: { location: 'berlin,paris', q: 'a b c', empty: '' },
      pathParameters: { sku: 'SKU-1' },
      isBase64Encoded: false,
      requestContext: {
        http: {
          method: 'GET',
          path: '/v1/stock/SKU-1',
          sourceIp: '127.0.0.1',
          userAgent: 'curl/8',
          protocol: 'HTTP/1.1',
        },
        requestId: 'req-1',
        routeKey: 'GET /v1/stock/{sku}',
        stage: '$default',
        time: '12/Mar/2026:19:03:58 +0000',
        timeEpoch: Date.parse('2026-03-12T19:03:58.390Z'),
        domainName: 'localhost:3000',
      },
    });
    expect(event.headers).toMatchObject({ host: 'localhost:3000', 'x-multi': 'a,b', 'user-agent': 'curl/8' });
    expect(event.headers).not.toHaveProperty('cookie');
    expect(event.body).toBeUndefined();
  });

  it('omits queryStringParameters and pathParameters for a function URL call without a query', () => {
    const event = toApiGatewayEvent({
      ...base,
      url: '/webhooks/demo-shop',
      rawHeaders: [],
      body: Buffer.alloc(0),
      route: ingestRoute,
    });
    expect(event.rawQueryString).toBe('');
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('pathParameters');
    expect(event.routeKey).toBe('$default');
  });

  it('passes JSON, text and form bodies as utf8 text', () => {
    for (const type of [
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/cloudevents+json',
    ]) {
      const text = '{"note":"größe ✓"}';
      const event = toApiGatewayEvent({
        ...base,
        url: '/webhooks/x',
        rawHeaders: ['Content-Type', type],
        body: Buffer.from(text),
        route: ingestRoute,
      });
      expect(event.isBase64Encoded, type).toBe(false);
      expect(event.body, type).toBe(text);
    }
  });

  it('base64-encodes binary, untyped and invalid-UTF-8 bodies, keeping the exact bytes', () => {
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x22, 0x7d]);
    for (const headers of [['Content-Type', 'application/octet-stream'], [], ['Content-Type', 'application/json']]) {
      const event = toApiGatewayEvent({
        ...base,
        url: '/webhooks/x',
        rawHeaders: headers,
        body: bytes,
        route: ingestRoute,
      });
      expect(event.isBase64Encoded, headers.join(':')).toBe(true);
      expect(Buffer.from(event.body!, 'base64').equals(bytes)).toBe(true);
    }
  });

  it('keeps a leading UTF-8 BOM: a body signed over its exact bytes verifies, the same body without it does not', async () => {
    // Prepare
    const conn = testConnection('shopify');
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"id":1,"note":"größe"}')]);
    const signed = signedRequest('shopify', conn, withBom);
    const rawHeaders = Object.entries(signed.headers).flat();
    const verifyThrough = async (body: Buffer) => {
      const event = toApiGatewayEvent({ ...base, url: `/webhooks/${conn.id}`, rawHeaders, body, route: ingestRoute });
      const req = toIngestRequest(event);
      return {
        req,
        result: await verifySignature(
          { connection: conn, headers: req.headers, body: req.body, url: req.url, now: base.now },
          staticEbayKeys(),
        ),
      };
    };
    // Act
    const exact = await verifyThrough(withBom);
    const stripped = await verifyThrough(withBom.subarray(3));
    // Assess
    expect(exact.req.body.equals(withBom)).toBe(true);
    expect(exact.result).toEqual({ ok: true });
    expect(stripped.result).toMatchObject({ ok: false, code: 'invalid_signature' });
  });

  it('knows which content types are text', () => {
    expect(isTextContentType('Application/JSON')).toBe(true);
    expect(isTextContentType('application/xml')).toBe(true);
    expect(isTextContentType('image/png')).toBe(false);
    expect(isTextContentType(undefined)).toBe(false);
  });
});

describe('fromHandlerResult', () => {
  it('decodes base64 bodies and keeps cookies', () => {
    const r = fromHandlerResult({
      statusCode: 201,
      headers: { 'X-A': 1 },
      body: Buffer.from([1, 2]).toString('base64'),
      isBase64Encoded: true,
      cookies: ['s=1'],
    });
    expect(r).toMatchObject({ statusCode: 201, headers: { 'x-a': '1' }, cookies: ['s=1'] });
    expect([...r.body]).toEqual([1, 2]);
  });

  it('treats a string or an object without statusCode as a 200 JSON body, as HTTP APIs do', () => {
    expect(fromHandlerResult({ ok: true })).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
    });
    expect(fromHandlerResult({ ok: true }).body.toString()).toBe('{"ok":true}');
    expect(fromHandlerResult('hello').body.toString()).toBe('hello');
  });
});

describe('the local HTTP server', () => {
  let server: HubHttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(
    handlers: Partial<Record<'ingest' | 'stock' | 'kpi' | 'docs', HttpInvoke>>,
    maxBodyBytes?: number,
  ) {
    const lines: string[] = [];
    const missing: HttpInvoke = async () => {
      throw new Error('unexpected call');
    };
    server = createHubHttpServer({
      handlers: { ingest: missing, stock: missing, kpi: missing, docs: missing, ...handlers },
      health: () => ({ status: 'ok', queues: 1 }),
      log: (line) => lines.push(line),
      ...(maxBodyBytes ? { maxBodyBytes } : {}),
    });
    const { url } = await server.listen(0);
    return { url, lines };
  }

  it('round-trips a binary body byte for byte through the event and the response', async () => {
    // Prepare
    const events: APIGatewayProxyEventV2[] = [];
    const { url, lines } = await start({
      ingest: async (event) => {
        events.push(event);
        return {
          statusCode: 202,
          headers: { 'content-type': 'application/octet-stream' },
          body: event.body,
          isBase64Encoded: event.isBase64Encoded,
        };
      },
    });
    const bytes = Buffer.from([0, 159, 146, 150, 255, 10]);

    // Act
    const res = await fetch(`${url}/webhooks/demo?x=1`, {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/protobuf' },
    });

    // Assess
    expect(res.status).toBe(202);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect(events[0]).toMatchObject({
      rawPath: '/webhooks/demo',
      rawQueryString: 'x=1',
      isBase64Encoded: true,
      routeKey: '$default',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^POST \/webhooks\/demo 202 \d+ms$/);
  });

  it('answers /health, 404s unknown routes and 413s bodies over the cap, as JSON', async () => {
    // Prepare
    const { url, lines } = await start({}, 1024);

    // Act
    const health = await fetch(`${url}/health`);
    const unknown = await fetch(`${url}/nope`);
    const tooBig = await fetch(`${url}/webhooks/demo`, { method: 'POST', body: Buffer.alloc(2048, 1) });

    // Assess
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', queues: 1 });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/json');
    expect(await unknown.json()).toMatchObject({ error: { code: 'not_found' } });
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    expect(lines.map((l) => l.replace(/\d+ms/, 'Nms'))).toEqual([
      'GET /health 200 Nms',
      'GET /nope 404 Nms',
      'POST /webhooks/demo 413 Nms',
    ]);
  });

  it('answers 500 with a JSON error when a handler throws, and logs it on the request line', async () => {
    const { url, lines } = await start({
      kpi: async () => {
        throw new Error('table gone');
      },
    });
    const res = await fetch(`${url}/v1/kpis/channels/c1`);
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { code: 'internal_error' } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^GET \/v1\/kpis\/channels\/c1 500 \d+ms kpi threw: Error: table gone/);
  });
});
