import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { stockRuntime, type StockRuntime } from '#shared/aws/stock-runtime.ts';
import { requireScope } from '#shared/http/auth.ts';
import { apiHandler, cacheableJson, header, jsonBody, toErrorResponse } from '#shared/http/api.ts';
import { HttpError, jsonResponse } from '#shared/http/errors.ts';
import { postCounts } from '#shared/inventory/stock-counts.ts';
import { readFeed, readSku } from '#shared/inventory/stock-read.ts';
import { bindRoutes, type RouteHandler } from '#shared/http/routes.ts';
import { SUBSCRIPTION_ROUTES, type SubscriptionRoute } from '#shared/http/subscription-routes.ts';
import { routeSubscriptions } from './subscriptions.ts';

type Handler = RouteHandler<StockRuntime, APIGatewayProxyStructuredResultV2>;

/** The subscriptions admin API (./subscriptions.ts): every /v1/subscriptions route, one dispatcher. */
const subscriptionRoutes = Object.fromEntries(
  SUBSCRIPTION_ROUTES.map((route): [SubscriptionRoute, Handler] => [
    route,
    async (rt, event, params) =>
      routeSubscriptions(rt.subscriptions, await rt.authenticate(event.headers), event, {
        route,
        ...(params.id !== undefined ? { id: params.id } : {}),
      }),
  ]),
) as Record<SubscriptionRoute, Handler>;

/**
 * `stock`: the Stock API behind the HTTP API (payload v2). Its routes are the `stock` lines of
 * shared/http/routes.ts; each authenticates, then hands off to the use cases. Dependencies come
 * from the environment on first use (shared/aws/stock-runtime.ts). It also serves the
 * subscriptions admin API.
 */
const route = bindRoutes<'stock', StockRuntime, APIGatewayProxyStructuredResultV2>('stock', {
  ...subscriptionRoutes,
  'GET /v1/stock/{sku}': async (rt, event, params) => {
    const key = await rt.authenticate(event.headers);
    requireScope(key, 'stock:read');
    const query = event.queryStringParameters ?? {};
    return cacheableJson(await readSku(rt, key, params.sku ?? '', query), header(event.headers, 'if-none-match'));
  },
  'GET /v1/stock': async (rt, event) => {
    const key = await rt.authenticate(event.headers);
    requireScope(key, 'stock:read');
    const query = event.queryStringParameters ?? {};
    return cacheableJson(
      await readFeed(rt, key, query, { settleMs: rt.feedSettleMs, now: rt.now }),
      header(event.headers, 'if-none-match'),
    );
  },
  'POST /v1/stock/counts': async (rt, event) => {
    const key = await rt.authenticate(event.headers);
    requireScope(key, 'stock:write');
    const result = await postCounts(rt, key, jsonBody(event.body, event.isBase64Encoded), {
      requestId: event.requestContext?.requestId ?? '',
    });
    if (result.rows.length === 0) return jsonResponse(200, { applied: result.applied, unchanged: result.unchanged });
    const message = `${result.rows.length} row(s) invalid and not applied; the valid rows were applied`;
    return toErrorResponse(new HttpError(400, 'invalid_rows', message, { details: result }));
  },
});

export function createHandler(makeRuntime: () => StockRuntime = () => stockRuntime(process.env)) {
  return apiHandler('stock', makeRuntime, route);
}

export const handler = createHandler();
