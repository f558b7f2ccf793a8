import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { stockRuntime, type StockRuntime } from '#shared/aws/stock-runtime.ts';
import { requireScope } from '#shared/http/auth.ts';
import { apiHandler, cacheableJson, header, jsonBody, toErrorResponse } from '#shared/http/api.ts';
import { HttpError, jsonResponse } from '#shared/http/errors.ts';
import { postCounts } from '#shared/inventory/stock-counts.ts';
import { readFeed, readSku } from '#shared/inventory/stock-read.ts';
import { routeSubscriptions, subscriptionRouteOf } from './subscriptions.ts';

/**
 * `stock`: the Stock API behind the HTTP API (payload v2). Routes by `routeKey`, or by method and
 * rawPath where there is none (a function URL); authenticates, then hands off to the use cases.
 * Dependencies come from the environment on first use (shared/aws/stock-runtime.ts). It also serves
 * the subscriptions admin API (./subscriptions.ts).
 */
type Route = 'GET /v1/stock/{sku}' | 'GET /v1/stock' | 'POST /v1/stock/counts';

function routeOf(event: APIGatewayProxyEventV2): { route: Route; sku?: string } | undefined {
  const method = event.requestContext?.http?.method ?? 'GET';
  const key =
    event.routeKey && event.routeKey !== '$default'
      ? event.routeKey
      : `${method} ${event.rawPath ?? ''}`.replace(/\/+$/, '');
  if (key === 'GET /v1/stock' || key === 'POST /v1/stock/counts') return { route: key };
  if (key === 'GET /v1/stock/{sku}') return { route: key, sku: event.pathParameters?.sku ?? '' };
  const m = /^GET \/v1\/stock\/([^/]+)$/.exec(key);
  if (!m) return undefined;
  try {
    return { route: 'GET /v1/stock/{sku}', sku: decodeURIComponent(m[1]!) };
  } catch {
    throw new HttpError(400, 'invalid_sku', 'the SKU in the path is not valid percent-encoding');
  }
}

async function route(rt: StockRuntime, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const subscriptions = subscriptionRouteOf(event);
  if (subscriptions)
    return routeSubscriptions(rt.subscriptions, await rt.authenticate(event.headers), event, subscriptions);
  const target = routeOf(event);
  if (!target) throw new HttpError(404, 'not_found', 'no such route');
  const key = await rt.authenticate(event.headers);
  const query = event.queryStringParameters ?? {};
  switch (target.route) {
    case 'GET /v1/stock/{sku}':
      requireScope(key, 'stock:read');
      return cacheableJson(await readSku(rt, key, target.sku!, query), header(event.headers, 'if-none-match'));
    case 'GET /v1/stock':
      requireScope(key, 'stock:read');
      return cacheableJson(
        await readFeed(rt, key, query, { settleMs: rt.feedSettleMs, now: rt.now }),
        header(event.headers, 'if-none-match'),
      );
    case 'POST /v1/stock/counts': {
      requireScope(key, 'stock:write');
      const result = await postCounts(rt, key, jsonBody(event.body, event.isBase64Encoded), {
        requestId: event.requestContext?.requestId ?? '',
      });
      if (result.rows.length === 0) return jsonResponse(200, { applied: result.applied, unchanged: result.unchanged });
      const message = `${result.rows.length} row(s) invalid and not applied; the valid rows were applied`;
      return toErrorResponse(new HttpError(400, 'invalid_rows', message, { details: result }));
    }
  }
}

export function createHandler(makeRuntime: () => StockRuntime = () => stockRuntime(process.env)) {
  return apiHandler('stock', makeRuntime, route);
}

export const handler = createHandler();
