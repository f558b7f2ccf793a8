import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError } from '#shared/http/errors.ts';

/**
 * The HTTP API's routes and the one matcher every edge uses: the stack declares exactly these
 * routes (infra/hub-stack.ts loops over the table), each read API's handler binds a function to
 * each of its routes (`bindRoutes`), and the local HTTP front end (infra/local/http.ts) finds the
 * function a request reaches with `matchRoute`.
 *
 * To add an endpoint: a line here, a function for its route key in the handler's `bindRoutes`
 * (the type checker insists on one per route), and its description in shared/http/openapi.ts.
 *
 * Hand-written rather than a router package (find-my-way, itty-router): the matching API Gateway
 * does is this small (literal segments, `{param}` segments, a literal beats a parameter), and the
 * same table has to drive the stack, the handlers and the local front end without a server.
 */

/** The Lambda function behind a route. */
export type RouteFunction = 'stock' | 'kpi' | 'docs';

export interface RouteSpec {
  readonly method: string;
  /** API Gateway's path template: literal segments and `{name}` parameters. */
  readonly path: string;
  readonly fn: RouteFunction;
  /** Served without an API key (no data behind it); the stack throttles such routes per route. */
  readonly public?: boolean;
}

export const HTTP_API_ROUTES = [
  { method: 'GET', path: '/v1/stock', fn: 'stock' },
  { method: 'GET', path: '/v1/stock/{sku}', fn: 'stock' },
  { method: 'POST', path: '/v1/stock/counts', fn: 'stock' },
  // the subscriptions admin API (functions/stock/subscriptions.ts), on the stock function's keys
  { method: 'GET', path: '/v1/subscriptions', fn: 'stock' },
  { method: 'POST', path: '/v1/subscriptions', fn: 'stock' },
  { method: 'GET', path: '/v1/subscriptions/{id}', fn: 'stock' },
  { method: 'PATCH', path: '/v1/subscriptions/{id}', fn: 'stock' },
  { method: 'DELETE', path: '/v1/subscriptions/{id}', fn: 'stock' },
  { method: 'POST', path: '/v1/subscriptions/{id}/rotate-secret', fn: 'stock' },
  { method: 'POST', path: '/v1/subscriptions/{id}/end-rotation', fn: 'stock' },
  { method: 'GET', path: '/v1/subscriptions/{id}/deliveries', fn: 'stock' },
  { method: 'POST', path: '/v1/subscriptions/{id}/replay', fn: 'stock' },
  { method: 'GET', path: '/v1/kpis/channels', fn: 'kpi' },
  { method: 'GET', path: '/v1/kpis/channels/{channel}', fn: 'kpi' },
  { method: 'GET', path: '/v1/kpis/stock-alerts', fn: 'kpi' },
  { method: 'POST', path: '/v1/channels/{channel}/figures', fn: 'kpi' },
  // the managers' dashboard page (no data in it: it asks for a key and calls the routes above)
  { method: 'GET', path: '/dashboard', fn: 'kpi', public: true },
  { method: 'GET', path: '/', fn: 'docs', public: true },
  { method: 'GET', path: '/api', fn: 'docs', public: true },
  { method: 'GET', path: '/openapi.json', fn: 'docs', public: true },
  // the cloud's /health is the docs function; the local runner answers it itself with more detail
  { method: 'GET', path: '/health', fn: 'docs', public: true },
] as const satisfies readonly RouteSpec[];

type Routes = (typeof HTTP_API_ROUTES)[number];
/** `GET /v1/stock/{sku}`-style keys of one function's routes (API Gateway's `routeKey`). */
export type RouteKeyOf<F extends RouteFunction> =
  Extract<Routes, { fn: F }> extends infer R
    ? R extends { method: string; path: string }
      ? `${R['method']} ${R['path']}`
      : never
    : never;

export function routeKey(route: { method: string; path: string }): string {
  return `${route.method} ${route.path}`;
}

export type RouteMatch<R> =
  | { found: true; route: R; routeKey: string; params: Record<string, string> }
  | { found: false; status: 404 }
  | { found: false; status: 405; allow: string[] };

/** How a path segment becomes a parameter value; the default keeps a segment it cannot decode as sent. */
export type SegmentDecoder = (segment: string, param: string) => string;

const lenientDecode: SegmentDecoder = (segment) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/**
 * The route a method and path reach, as API Gateway matches them: every segment must match, a
 * literal segment wins over a `{param}` (POST /v1/stock/counts is not a SKU), a parameter never
 * matches an empty segment. No route for the path is a 404; a path served only under other methods
 * is a 405 with the methods it takes.
 */
export function matchRoute<R extends { method: string; path: string }>(
  routes: readonly R[],
  method: string,
  path: string,
  decode: SegmentDecoder = lenientDecode,
): RouteMatch<R> {
  const segments = path.split('/');
  let best: { route: R; raw: Array<[string, string]> } | undefined;
  const allow = new Set<string>();
  for (const route of routes) {
    const raw = matchTemplate(route.path, segments);
    if (!raw) continue;
    if (route.method !== method) {
      allow.add(route.method);
      continue;
    }
    if (!best || raw.length < best.raw.length) best = { route, raw };
  }
  if (!best) return allow.size ? { found: false, status: 405, allow: [...allow] } : { found: false, status: 404 };
  const params: Record<string, string> = {};
  for (const [name, segment] of best.raw) params[name] = decode(segment, name);
  return { found: true, route: best.route, routeKey: routeKey(best.route), params };
}

/** The raw `{param}` segments when `segments` fit the template, else undefined. */
function matchTemplate(template: string, segments: string[]): Array<[string, string]> | undefined {
  const parts = template.split('/');
  if (parts.length !== segments.length) return undefined;
  const raw: Array<[string, string]> = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const segment = segments[i]!;
    const param = /^\{(\w+)\}$/.exec(part);
    if (!param) {
      if (part !== segment) return undefined;
    } else if (segment === '') return undefined;
    else raw.push([param[1]!, segment]);
  }
  return raw;
}

/** A route's function: the runtime, the event and the route's decoded path parameters. */
export type RouteHandler<Rt, Res> = (
  rt: Rt,
  event: APIGatewayProxyEventV2,
  params: Record<string, string>,
) => Promise<Res>;

/** A path parameter that is not valid percent-encoding is the caller's fault: a 400 naming it. */
const strictDecode: SegmentDecoder = (segment, param) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `invalid_${param}`, `the ${param} in the path is not valid percent-encoding`);
  }
};

/**
 * One function's routes bound to what serves them: `bindRoutes('stock', { 'GET /v1/stock': … })`
 * takes exactly one function per route of `fn` in the table. The result routes an event by its
 * `routeKey` (API Gateway has matched it and decoded `pathParameters`), or by method and `rawPath`
 * where there is none (a function URL, a test): trailing slashes dropped, a bad percent-encoding a
 * 400, an unknown path a 404, a wrong method a 405 with `Allow`.
 */
export function bindRoutes<F extends RouteFunction, Rt, Res>(
  fn: F,
  handlers: Record<RouteKeyOf<F>, RouteHandler<Rt, Res>>,
) {
  const table = (HTTP_API_ROUTES as readonly RouteSpec[]).filter((r) => r.fn === fn);
  const byKey = handlers as Record<string, RouteHandler<Rt, Res>>;
  return async function dispatch(rt: Rt, event: APIGatewayProxyEventV2): Promise<Res> {
    const given = event.routeKey && event.routeKey !== '$default' ? byKey[event.routeKey] : undefined;
    if (given) return given(rt, event, decodedParams(event.pathParameters));
    const method = event.requestContext?.http?.method ?? 'GET';
    const path = (event.rawPath ?? '').replace(/\/+$/, '') || '/';
    const m = matchRoute(table, method, path, strictDecode);
    if (m.found) return byKey[m.routeKey]!(rt, event, m.params);
    if (m.status === 405) {
      throw new HttpError(405, 'method_not_allowed', `${path} takes ${m.allow.join(', ')}`, {
        headers: { allow: m.allow.join(', ') },
      });
    }
    throw new HttpError(404, 'not_found', 'no such route');
  };
}

function decodedParams(params: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined) out[k] = v;
  return out;
}
