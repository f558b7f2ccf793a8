import { describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError } from '#shared/http/errors.ts';
import { bindRoutes, HTTP_API_ROUTES, matchRoute } from '#shared/http/routes.ts';
import { synthHubTemplate } from '#infra/local/template.ts';

describe('local HTTP routes', () => {
  it('are exactly the HTTP API routes the stack declares', () => {
    // Prepare
    const template = synthHubTemplate();

    // Act
    const declared = Object.values(
      template.Resources as Record<string, { Type: string; Properties: { RouteKey: string } }>,
    )
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => r.Properties.RouteKey)
      .sort();

    // Assess
    expect(declared.length).toBeGreaterThan(0);
    expect(HTTP_API_ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(declared);
  });

  it('send stock and subscription paths to stock and KPI paths (reported figures and the KPI dashboard too) to kpi', () => {
    for (const r of HTTP_API_ROUTES) {
      if (r.fn === 'stock')
        expect(r.path.startsWith('/v1/stock') || r.path.startsWith('/v1/subscriptions'), r.path).toBe(true);
      const kpi =
        r.path.startsWith('/v1/kpis/') || r.path === '/dashboard' || r.path === '/v1/channels/{channel}/figures';
      if (r.fn === 'kpi') expect(kpi, r.path).toBe(true);
    }
  });
});

describe('matchRoute', () => {
  const table = [
    { method: 'GET', path: '/v1/things', name: 'list' },
    { method: 'GET', path: '/v1/things/{id}', name: 'one' },
    { method: 'POST', path: '/v1/things/batch', name: 'batch' },
    { method: 'DELETE', path: '/v1/things/{id}', name: 'drop' },
  ];

  it('prefers a literal segment over a parameter and decodes parameters', () => {
    // Act
    const batch = matchRoute(table, 'POST', '/v1/things/batch');
    const one = matchRoute(table, 'GET', '/v1/things/RED%2FL%20X');

    // Assess
    expect(batch).toMatchObject({ found: true, routeKey: 'POST /v1/things/batch', params: {} });
    expect(one).toMatchObject({ found: true, routeKey: 'GET /v1/things/{id}', params: { id: 'RED/L X' } });
  });

  it('answers 405 with the methods a known path takes, 404 for an unknown path or an empty parameter', () => {
    expect(matchRoute(table, 'PUT', '/v1/things/7')).toEqual({ found: false, status: 405, allow: ['GET', 'DELETE'] });
    expect(matchRoute(table, 'GET', '/v1/thingsx')).toEqual({ found: false, status: 404 });
    expect(matchRoute(table, 'GET', '/v1/things/')).toEqual({ found: false, status: 404 });
    expect(matchRoute(table, 'GET', '/v1/things/a/b')).toEqual({ found: false, status: 404 });
  });

  it('keeps a segment it cannot decode as sent, unless the decoder refuses it', () => {
    expect(matchRoute(table, 'GET', '/v1/things/%E0%A4%A')).toMatchObject({ params: { id: '%E0%A4%A' } });
  });
});

describe('bindRoutes', () => {
  const dispatch = bindRoutes<'docs', string, string>('docs', {
    'GET /': async (rt) => `landing ${rt}`,
    'GET /api': async () => 'api',
    'GET /openapi.json': async () => 'doc',
    'GET /health': async (_rt, _event, params) => `health ${JSON.stringify(params)}`,
  });
  const event = (method: string, rawPath: string, routeKey?: string) =>
    ({ routeKey, rawPath, requestContext: { http: { method } } }) as unknown as APIGatewayProxyEventV2;

  it('routes by routeKey, or by method and rawPath without one (trailing slashes dropped)', async () => {
    expect(await dispatch('rt', event('GET', '/ignored', 'GET /'))).toBe('landing rt');
    expect(await dispatch('rt', event('GET', '/api/', '$default'))).toBe('api');
    expect(await dispatch('rt', event('GET', '/'))).toBe('landing rt');
  });

  it('throws the JSON errors: 404 for no route, 405 with Allow for a wrong method', async () => {
    await expect(dispatch('rt', event('GET', '/nope'))).rejects.toMatchObject({ statusCode: 404, code: 'not_found' });
    const wrong = dispatch('rt', event('POST', '/openapi.json'));
    await expect(wrong).rejects.toBeInstanceOf(HttpError);
    await expect(wrong).rejects.toMatchObject({
      statusCode: 405,
      code: 'method_not_allowed',
      headers: { allow: 'GET' },
    });
  });
});
