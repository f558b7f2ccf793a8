import { validate, compileErrors } from '@readme/openapi-parser';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '#functions/docs/handler.ts';
import { KpiQuerySchema, StockCountsBodySchema, StockFeedQuerySchema } from '#shared/http/api-schemas.ts';
import { API_ROUTES, openApiDocument } from '#shared/http/openapi.ts';
import { synthHubTemplate } from '#infra/local/template.ts';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, any>; securitySchemes: Record<string, any> };
};
const doc = () => openApiDocument() as unknown as Doc;

const EXPECTED_ROUTES = [
  'POST /webhooks/{connectionId}',
  'GET /webhooks/{connectionId}',
  'GET /v1/stock/{sku}',
  'GET /v1/stock',
  'POST /v1/stock/counts',
  'GET /v1/kpis/channels',
  'GET /v1/kpis/channels/{channel}',
  'GET /v1/kpis/stock-alerts',
  'POST /v1/channels/{channel}/figures',
  'GET /dashboard',
  'GET /',
  'GET /api',
  'GET /health',
  'GET /openapi.json',
  'GET /v1/subscriptions',
  'POST /v1/subscriptions',
  'GET /v1/subscriptions/{id}',
  'PATCH /v1/subscriptions/{id}',
  'DELETE /v1/subscriptions/{id}',
  'POST /v1/subscriptions/{id}/rotate-secret',
  'POST /v1/subscriptions/{id}/end-rotation',
  'GET /v1/subscriptions/{id}/deliveries',
  'POST /v1/subscriptions/{id}/replay',
];

function routesOf(d: Doc): string[] {
  return Object.entries(d.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
}

describe('OpenAPI description', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    // Prepare
    const d = doc();
    // Act (validate dereferences its argument in place: hand it a copy)
    const result = await validate(structuredClone(d) as never);
    // Assess
    expect(d.openapi).toBe('3.1.0');
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  });

  it('the validator rejects a broken document (the check can fail)', async () => {
    const broken = structuredClone(doc());
    broken.paths['/v1/stock/{sku}']!.get.parameters = [];
    broken.paths['/health']!.get.responses = 'none';
    const result = await validate(broken as never);
    expect(result.valid).toBe(false);
  });

  it('describes every endpoint, each once', () => {
    expect(routesOf(doc()).sort()).toEqual([...EXPECTED_ROUTES].sort());
  });

  it('matches the HTTP API routes the stack declares (webhooks go to the function URL)', () => {
    const declared = Object.values(
      synthHubTemplate().Resources as Record<string, { Type: string; Properties: { RouteKey: string } }>,
    )
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => r.Properties.RouteKey)
      .sort();
    const documented = routesOf(doc())
      .filter((r) => !r.includes(' /webhooks/'))
      .sort();
    expect(documented).toEqual(declared);
  });

  it('secures /v1/* with the bearer API key and leaves the rest open', () => {
    const d = doc();
    expect(d.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [path, ops] of Object.entries(d.paths)) {
      for (const op of Object.values(ops)) {
        expect(op.security, path).toEqual(path.startsWith('/v1/') ? [{ apiKey: [] }] : []);
        if (path.startsWith('/v1/'))
          expect(Object.keys(op.responses), path).toEqual(expect.arrayContaining(['401', '403', '429']));
      }
    }
  });

  it('answers every error with the one error body', () => {
    const d = doc();
    for (const [path, ops] of Object.entries(d.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, res] of Object.entries(op.responses as Record<string, any>)) {
          if (Number(status) < 400) continue;
          expect(res.content['application/json'].schema, `${method} ${path} ${status}`).toEqual({
            $ref: '#/components/schemas/Error',
          });
        }
      }
    }
    expect(d.components.schemas.Error).toMatchObject({
      type: 'object',
      required: ['error'],
      properties: { error: { required: ['code', 'message'] } },
    });
  });

  it('derives parameters and bodies from the zod schemas', () => {
    const d = doc();
    const feed = d.paths['/v1/stock']!.get;
    const names = feed.parameters.map((p: { name: string }) => p.name);
    expect(names).toEqual(Object.keys(StockFeedQuerySchema.shape));
    expect(names).toEqual(['updatedSince', 'location', 'limit', 'cursor']);
    expect(feed.parameters.find((p: { name: string }) => p.name === 'limit')).toMatchObject({
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    });
    const kpi = d.paths['/v1/kpis/channels']!.get.parameters as Array<{ name: string; required: boolean; schema: any }>;
    expect(kpi.map((p) => p.name)).toEqual(Object.keys(KpiQuerySchema.shape));
    expect(kpi.find((p) => p.name === 'from')?.required).toBe(true);
    expect(kpi.find((p) => p.name === 'granularity')?.schema.enum).toEqual(['day', 'week', 'month', 'quarter', 'year']);
    expect(d.paths['/v1/stock/{sku}']!.get.parameters[0]).toMatchObject({ name: 'sku', in: 'path', required: true });

    const counts = d.paths['/v1/stock/counts']!.post.requestBody.content['application/json'].schema;
    expect(counts).toEqual({ $ref: '#/components/schemas/StockCountsBody' });
    expect(d.components.schemas.StockCountsBody.properties.counts).toMatchObject({ minItems: 1, maxItems: 1000 });
    expect(d.components.schemas.StockCount.required).toEqual(['sku', 'location', 'onHand', 'asOf']);
    // the document and the zod schema agree on the limit
    expect(
      StockCountsBodySchema.safeParse({
        counts: Array(1001).fill({ sku: 'a', location: 'b', onHand: 1, asOf: '2026-01-01T00:00:00Z' }),
      }).success,
    ).toBe(false);
  });

  it('documents the stock read and feed responses', () => {
    const s = doc().components.schemas;
    expect(s.StockRead.required).toEqual(['sku', 'available', 'locations', 'channels']);
    expect(s.LocationBalance.required).toEqual(['location', 'onHand', 'reserved', 'available', 'updatedAt']);
    expect(s.StockFeedPage.properties.items.items.required).toEqual(
      expect.arrayContaining(['sku', 'location', 'updatedAt']),
    );
    expect(s.StockFeedPage.required).toEqual(expect.arrayContaining(['items', 'hasMore']));
  });

  it('tells KPI callers the supported date range, and that stock alerts need stock:read', () => {
    // Prepare
    const d = doc();
    const text = (v: unknown) => JSON.stringify(v);
    // Act
    const dateParams = ['/v1/kpis/channels', '/v1/kpis/channels/{channel}'].flatMap((path) =>
      (d.paths[path]!.get.parameters as Array<{ name: string; description?: string; schema?: unknown }>).filter(
        (p) => p.name === 'from' || p.name === 'to',
      ),
    );
    const alerts = d.paths['/v1/kpis/stock-alerts']!.get;
    // Assess
    expect(dateParams).toHaveLength(4);
    for (const p of dateParams) expect(text(p), p.name).toMatch(/2000-01-01 to 2099-12-31/);
    expect(alerts.description).toMatch(/stock:read/);
    expect(alerts.responses['403'].description).toMatch(/stock:read/);
  });

  it('lists routes with unique operation ids', () => {
    const ids = API_ROUTES.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('docs function', () => {
  const event = (method: string, path: string) =>
    ({
      routeKey: `${method} ${path}`,
      rawPath: path,
      requestContext: { http: { method } },
    }) as unknown as APIGatewayProxyEventV2;

  it('serves the document at GET /openapi.json', async () => {
    const res = await handler(event('GET', '/openapi.json'));
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(res.body!)).toEqual(openApiDocument());
  });

  it('serves a landing page at GET / that links the dashboard, the API reference and /health, under a policy that allows no script', async () => {
    // Act
    const res = await handler(event('GET', '/'));

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toBe('text/html; charset=utf-8');
    const hrefs = [...res.body!.matchAll(/href="([^"]*)"/g)].map(
      (m) => new URL(m[1]!, 'https://hub.example/').pathname,
    );
    expect(hrefs).toEqual(expect.arrayContaining(['/dashboard', '/api', '/openapi.json', '/health']));
    const csp = String(res.headers?.['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src|unsafe-inline|https?:/);
    expect(res.body).not.toMatch(/<script|https?:\/\//);
  });

  it('renders every operation of the document, with its parameters and answers, as HTML at GET /api', async () => {
    // Prepare
    const d = doc();

    // Act
    const res = await handler(event('GET', '/api'));

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toBe('text/html; charset=utf-8');
    const body = res.body!;
    for (const [path, ops] of Object.entries(d.paths)) {
      for (const op of Object.values(ops)) expect(body, path).toContain(`id="${op.operationId}"`);
      expect(body).toContain(`<code>${path}</code>`);
    }
    expect(body).toContain('<code>updatedSince</code>');
    expect(body).toContain('href="#schema-StockRead"');
    expect(body).toContain('id="schema-StockRead"');
    expect(String(res.headers?.['content-security-policy'])).not.toMatch(/script-src|unsafe-inline/);
    expect(body).not.toMatch(/<script|https?:\/\/(?!\{urlId\})/);
  });

  it('answers GET /health and 404s anything else as JSON', async () => {
    expect(JSON.parse((await handler(event('GET', '/health'))).body!)).toEqual({ status: 'ok' });
    const miss = await handler({
      routeKey: '$default',
      rawPath: '/nope',
      requestContext: { http: { method: 'GET' } },
    } as unknown as APIGatewayProxyEventV2);
    expect(miss.statusCode).toBe(404);
    expect(JSON.parse(miss.body!)).toEqual({ error: { code: 'not_found', message: 'no such route' } });
  });
});
