import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { kpiRuntime, type KpiRuntime } from '#shared/aws/kpi-repo.ts';
import { requireScope } from '#shared/http/auth.ts';
import { cacheableJson, header, apiHandler, jsonBody } from '#shared/http/api.ts';
import { jsonResponse } from '#shared/http/errors.ts';
import { postFigures } from '#shared/kpi/figures.ts';
import { bindRoutes } from '#shared/http/routes.ts';
import { readChannelSeries, readChannelsKpis } from '#shared/kpi/answer.ts';
import { readStockAlerts } from '#shared/inventory/stock-alerts.ts';
import { dashboardPage } from '../../dashboard/serve.ts';

/**
 * `kpi`: channel KPIs for managers behind the HTTP API (payload v2), and the dashboard page that
 * draws them. Its routes are the `kpi` lines of shared/http/routes.ts. The page itself needs no
 * key (it holds no data; it asks for one and sends it with each fetch).
 */
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

/** A KPI read: a key with `kpi:read`, the query, an ETag answer. */
function kpiRead(
  read: (
    rt: KpiRuntime,
    key: Awaited<ReturnType<KpiRuntime['authenticate']>>,
    query: Record<string, string | undefined>,
    params: Record<string, string>,
  ) => Promise<unknown>,
) {
  return async (rt: KpiRuntime, event: APIGatewayProxyEventV2, params: Record<string, string>) => {
    const key = await rt.authenticate(event.headers);
    requireScope(key, 'kpi:read');
    const body = await read(rt, key, event.queryStringParameters ?? {}, params);
    return cacheableJson(body, header(event.headers, 'if-none-match'));
  };
}

const route = bindRoutes<'kpi', KpiRuntime, APIGatewayProxyStructuredResultV2>('kpi', {
  'GET /dashboard': () => dashboard(),
  'POST /v1/channels/{channel}/figures': async (rt, event, params) => {
    const key = await rt.authenticate(event.headers);
    return jsonResponse(
      200,
      await postFigures(rt, key, params.channel ?? '', jsonBody(event.body, event.isBase64Encoded)),
    );
  },
  'GET /v1/kpis/channels': kpiRead((rt, key, query) => readChannelsKpis(rt, key, query)),
  'GET /v1/kpis/channels/{channel}': kpiRead((rt, key, query, params) =>
    readChannelSeries(rt, key, params.channel ?? '', query),
  ),
  'GET /v1/kpis/stock-alerts': kpiRead((rt, key, query) => readStockAlerts(rt, key, query)),
});

export function createHandler(makeRuntime: () => KpiRuntime = () => kpiRuntime(process.env)) {
  return apiHandler('kpi', makeRuntime, route);
}

export const handler = createHandler();
