import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { kpiRuntime, type KpiRuntime } from '#shared/aws/kpi-repo.ts';
import { requireScope } from '#shared/http/auth.ts';
import { cacheableJson, header, apiHandler, jsonBody } from '#shared/http/api.ts';
import { jsonResponse } from '#shared/http/errors.ts';
import { postFigures } from '#shared/kpi/figures.ts';
import { HttpError } from '#shared/http/errors.ts';
import { readChannelSeries, readChannelsKpis } from '#shared/kpi/answer.ts';
import { readStockAlerts } from '#shared/inventory/stock-alerts.ts';
import { dashboardPage } from '../../dashboard/serve.ts';

/**
 * `kpi`: channel KPIs for managers behind the HTTP API (payload v2), and the dashboard page that
 * draws them. Routes by `routeKey`, or by method and rawPath where there is none (a function URL).
 * The page itself needs no key (it holds no data; it asks for one and sends it with each fetch).
 */
type Route =
  | 'GET /v1/kpis/channels'
  | 'GET /v1/kpis/channels/{channel}'
  | 'GET /v1/kpis/stock-alerts'
  | 'POST /v1/channels/{channel}/figures'
  | 'GET /dashboard';

function routeOf(event: APIGatewayProxyEventV2): { route: Route; channel?: string } | undefined {
  const method = event.requestContext?.http?.method ?? 'GET';
  const key =
    event.routeKey && event.routeKey !== '$default'
      ? event.routeKey
      : `${method} ${event.rawPath ?? ''}`.replace(/\/+$/, '');
  if (key === 'GET /v1/kpis/channels' || key === 'GET /v1/kpis/stock-alerts' || key === 'GET /dashboard')
    return { route: key };
  if (key === 'GET /v1/kpis/channels/{channel}' || key === 'POST /v1/channels/{channel}/figures')
    return { route: key, channel: event.pathParameters?.channel ?? '' };
  const series = /^GET \/v1\/kpis\/channels\/([^/]+)$/.exec(key);
  const figures = /^POST \/v1\/channels\/([^/]+)\/figures$/.exec(key);
  const m = series ?? figures;
  if (!m) return undefined;
  try {
    const channel = decodeURIComponent(m[1]!);
    return series
      ? { route: 'GET /v1/kpis/channels/{channel}', channel }
      : { route: 'POST /v1/channels/{channel}/figures', channel };
  } catch {
    throw new HttpError(400, 'invalid_channel', 'the channel in the path is not valid percent-encoding');
  }
}

async function dashboard(): Promise<APIGatewayProxyStructuredResultV2> {
  const page = await dashboardPage();
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': page.csp,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
    body: page.html,
  };
}

async function route(rt: KpiRuntime, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const target = routeOf(event);
  if (!target) throw new HttpError(404, 'not_found', 'no such route');
  if (target.route === 'GET /dashboard') return dashboard();
  const key = await rt.authenticate(event.headers);
  if (target.route === 'POST /v1/channels/{channel}/figures')
    return jsonResponse(200, await postFigures(rt, key, target.channel!, jsonBody(event.body, event.isBase64Encoded)));
  requireScope(key, 'kpi:read');
  const query = event.queryStringParameters ?? {};
  const ifNoneMatch = header(event.headers, 'if-none-match');
  switch (target.route) {
    case 'GET /v1/kpis/channels':
      return cacheableJson(await readChannelsKpis(rt, key, query), ifNoneMatch);
    case 'GET /v1/kpis/channels/{channel}':
      return cacheableJson(await readChannelSeries(rt, key, target.channel!, query), ifNoneMatch);
    case 'GET /v1/kpis/stock-alerts':
      return cacheableJson(await readStockAlerts(rt, key, query), ifNoneMatch);
  }
}

export function createHandler(makeRuntime: () => KpiRuntime = () => kpiRuntime(process.env)) {
  return apiHandler('kpi', makeRuntime, route);
}

export const handler = createHandler();
