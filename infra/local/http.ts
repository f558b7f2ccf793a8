import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { SUBSCRIPTION_ROUTES } from '#shared/http/subscription-routes.ts';

/**
 * The local stand-in for the hub's HTTP edge: a Lambda function URL in front of `ingest` and an
 * API Gateway HTTP API in front of `stock` and `kpi`. Each request becomes the payload-format-2.0
 * event the cloud would send, so the handlers run unchanged (docs/architecture.md, principle 7).
 */

/** A handler as the runner calls it; the hub binds the Lambda context. */
export type HttpInvoke = (event: APIGatewayProxyEventV2) => Promise<unknown>;

export type RouteTarget = 'ingest' | 'stock' | 'kpi' | 'docs';

export interface MatchedRoute {
  target: RouteTarget;
  routeKey: string;
  pathParameters?: Record<string, string>;
}

/** Lambda's synchronous invocation payload limit (6 MB): a bigger request never reaches a handler. */
export const MAX_REQUEST_BODY_BYTES = 6 * 1024 * 1024;

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The HTTP API's routes, as infra/hub-stack.ts declares them. test/unit/local/routes.test.ts
 * compares this list with the synthesized template, so a route added to the stack and not here
 * fails the build instead of answering 404 only locally.
 */
export const HTTP_API_ROUTES: ReadonlyArray<{ method: string; path: string; target: Exclude<RouteTarget, 'ingest'> }> =
  [
    { method: 'GET', path: '/v1/stock', target: 'stock' },
    { method: 'GET', path: '/v1/stock/{sku}', target: 'stock' },
    { method: 'POST', path: '/v1/stock/counts', target: 'stock' },
    ...SUBSCRIPTION_ROUTES.map((r) => {
      const [method, path] = r.split(' ') as [string, string];
      return { method, path, target: 'stock' as const };
    }),
    { method: 'GET', path: '/v1/kpis/channels', target: 'kpi' },
    { method: 'GET', path: '/v1/kpis/channels/{channel}', target: 'kpi' },
    { method: 'GET', path: '/v1/kpis/stock-alerts', target: 'kpi' },
    { method: 'POST', path: '/v1/channels/{channel}/figures', target: 'kpi' },
    { method: 'GET', path: '/dashboard', target: 'kpi' },
    { method: 'GET', path: '/', target: 'docs' },
    { method: 'GET', path: '/api', target: 'docs' },
    { method: 'GET', path: '/openapi.json', target: 'docs' },
    // the cloud's /health is the docs function; the local runner answers it itself with more detail
    { method: 'GET', path: '/health', target: 'docs' },
  ];

/**
 * Which function a request reaches. Webhooks go to ingest's function URL, which takes every path
 * and method (routeKey `$default`, no path parameters: ingest reads the connection id from
 * rawPath). Other paths must match an HTTP API route; as in API Gateway, a literal segment wins
 * over a `{param}` (POST /v1/stock/counts is not a SKU) and an unmatched method or path is a 404.
 */
export function matchRoute(method: string, path: string): MatchedRoute | undefined {
  if (path === '/webhooks' || path.startsWith('/webhooks/')) return { target: 'ingest', routeKey: '$default' };
  const segments = path.split('/');
  let best: { route: (typeof HTTP_API_ROUTES)[number]; params: Record<string, string>; paramCount: number } | undefined;
  for (const route of HTTP_API_ROUTES) {
    if (route.method !== method) continue;
    const template = route.path.split('/');
    if (template.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let paramCount = 0;
    const matches = template.every((t, i) => {
      const s = segments[i]!;
      const param = /^\{(\w+)\}$/.exec(t);
      if (!param) return t === s;
      if (s === '') return false;
      params[param[1]!] = decodeSegment(s);
      paramCount++;
      return true;
    });
    if (matches && (!best || paramCount < best.paramCount)) best = { route, params, paramCount };
  }
  if (!best) return undefined;
  return {
    target: best.route.target,
    routeKey: `${best.route.method} ${best.route.path}`,
    ...(best.paramCount ? { pathParameters: best.params } : {}),
  };
}

/**
 * Content types the cloud passes as text; every other body (and one with no content type) arrives
 * base64-encoded with `isBase64Encoded: true`, which keeps its exact bytes for signature checks.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript' ||
    type === 'application/x-www-form-urlencoded'
  );
}

// ignoreBOM keeps a leading byte-order mark in the string (the default drops it): the sender signed
// those three bytes too, and the cloud passes them through
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function bodyField(body: Buffer, contentType: string | undefined): { body?: string; isBase64Encoded: boolean } {
  if (body.length === 0) return { isBase64Encoded: false };
  if (isTextContentType(contentType)) {
    try {
      // fatal decoding: a "text" body that is not valid UTF-8 would lose bytes as a string, and a
      // signature is over bytes — such a body is passed base64 instead
      return { body: utf8.decode(body), isBase64Encoded: false };
    } catch {
      // fall through to base64
    }
  }
  return { body: body.toString('base64'), isBase64Encoded: true };
}

/** Header names lower-cased, repeated headers joined with ',' (payload format 2.0 has no multi-value maps). */
export function joinHeaders(rawHeaders: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return headers;
}

export function parseQueryString(raw: string): Record<string, string> | undefined {
  if (!raw) return undefined;
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    params[key] = key in params ? `${params[key]},${value}` : value;
  }
  return params;
}

export interface RawRequest {
  method: string;
  /** the request target as sent: path plus optional `?query` */
  url: string;
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  route: MatchedRoute;
  requestId?: string;
  now?: Date;
}

function clfTime(d: Date): string {
  // API Gateway's requestContext.time: 12/Mar/2020:19:03:58 +0000
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export function toApiGatewayEvent(req: RawRequest): APIGatewayProxyEventV2 {
  const now = req.now ?? new Date();
  const q = req.url.indexOf('?');
  const rawPath = q === -1 ? req.url : req.url.slice(0, q);
  const rawQueryString = q === -1 ? '' : req.url.slice(q + 1);
  const headers = joinHeaders(req.rawHeaders);
  // format 2.0 moves cookies out of the headers into their own array
  const cookieHeader = headers.cookie;
  delete headers.cookie;
  const cookies = cookieHeader
    ?.split(';')
    .map((c) => c.trim())
    .filter(Boolean);
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${req.sourceIp}`
    : req.sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  const requestId = req.requestId ?? randomUUID();
  const domainName = headers.host ?? '127.0.0.1';
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: req.route.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters: parseQueryString(rawQueryString) } : {}),
    ...(req.route.pathParameters ? { pathParameters: req.route.pathParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: req.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: req.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: req.route.routeKey,
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...bodyField(req.body, headers['content-type']),
  };
  return event;
}

interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

/**
 * The response a handler's return value becomes. As with HTTP APIs, a string or an object without
 * `statusCode` is taken as a 200 JSON body.
 */
export function fromHandlerResult(result: unknown): HttpResult {
  const json = (value: unknown): HttpResult => ({
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    cookies: [],
    body: Buffer.from(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null')),
  });
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) return json(result);
  const r = result as {
    statusCode: number;
    headers?: Record<string, string | number | boolean>;
    body?: string;
    isBase64Encoded?: boolean;
    cookies?: string[];
  };
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
  return { statusCode: r.statusCode, headers, cookies: r.cookies ?? [], body };
}

function errorBody(code: string, message: string): Buffer {
  return Buffer.from(JSON.stringify({ error: { code, message } }));
}

export interface HubHttpOptions {
  handlers: Record<RouteTarget, HttpInvoke>;
  /** answers GET /health */
  health: () => unknown;
  /** one line per request; default console.log */
  log?: (line: string) => void;
  maxBodyBytes?: number;
}

export interface HubHttpServer {
  server: Server;
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
}

/** Another process holds the port: a person fixes that with HUB_PORT, so it is a message, not a trace. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(readonly port: number) {
    super(`port ${port} is in use; set HUB_PORT to another port (HUB_PORT=0 picks a free one)`);
  }
}

/** Rejects with PortInUseError when `port` cannot be bound on `host`; binds nothing. */
export function assertPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port) : err),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

export function createHubHttpServer(opts: HubHttpOptions): HubHttpServer {
  const log = opts.log ?? ((line: string) => console.log(line));
  const maxBody = opts.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES;

  function send(res: ServerResponse, out: HttpResult): void {
    const headers: Record<string, string | string[]> = { ...out.headers, 'content-length': String(out.body.length) };
    if (out.cookies.length) headers['set-cookie'] = out.cookies;
    res.writeHead(out.statusCode, headers);
    res.end(out.body);
  }

  function sendError(
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    extra: Record<string, string> = {},
  ) {
    send(res, {
      statusCode: status,
      headers: { 'content-type': 'application/json', ...extra },
      cookies: [],
      body: errorBody(code, message),
    });
  }

  /** Reads the body, or returns undefined once it passes the cap (the rest is drained, not kept). */
  function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      let tooBig = declared > maxBody;
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        if (tooBig) return;
        size += chunk.length;
        if (size > maxBody) {
          tooBig = true;
          chunks.length = 0;
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(tooBig ? undefined : Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<string> {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    if (path === '/health') {
      req.resume();
      if (method !== 'GET' && method !== 'HEAD') {
        sendError(res, 405, 'method_not_allowed', 'GET /health', { allow: 'GET, HEAD' });
        return '';
      }
      send(
        res,
        fromHandlerResult({
          statusCode: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(opts.health()),
        }),
      );
      return '';
    }
    const route = matchRoute(method, path);
    if (!route) {
      req.resume();
      sendError(res, 404, 'not_found', `no route for ${method} ${path}`);
      return '';
    }
    const body = await readBody(req);
    if (body === undefined) {
      sendError(
        res,
        413,
        'payload_too_large',
        `request body exceeds ${maxBody} bytes (the Lambda invocation payload limit)`,
      );
      return '';
    }
    const event = toApiGatewayEvent({
      method,
      url,
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      route,
    });
    try {
      send(res, fromHandlerResult(await opts.handlers[route.target](event)));
      return '';
    } catch (err) {
      // what Lambda's front door does when the function errors: a 500 the caller can parse
      sendError(res, 500, 'internal_error', `${route.target} failed (request ${event.requestContext.requestId})`);
      return ` ${route.target} threw: ${err instanceof Error ? (err.stack ?? err.message).replace(/\s*\n\s*/g, ' | ') : String(err)}`;
    }
  }

  const server = createServer((req, res) => {
    const started = performance.now();
    handle(req, res)
      .catch((err) => {
        if (!res.headersSent) sendError(res, 500, 'internal_error', 'local runner error');
        return ` runner error: ${String(err)}`;
      })
      .then((note) => {
        const ms = Math.round(performance.now() - started);
        log(`${req.method} ${(req.url ?? '/').split('?')[0]} ${res.statusCode} ${ms}ms${note}`);
      });
  });
  // the default keep-alive timeout (5 s) is shorter than load generators and SDKs expect; 65 s
  // matches what load balancers in front of Lambda keep
  server.keepAliveTimeout = 65_000;

  return {
    server,
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) =>
          reject(err.code === 'EADDRINUSE' ? new PortInUseError(port) : err),
        );
        server.listen(port, host, () => {
          server.off('error', reject);
          const addr = server.address() as AddressInfo;
          resolve({ url: `http://${host}:${addr.port}`, port: addr.port });
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        // in-flight requests finish; idle keep-alive sockets would otherwise hold close() open
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5000).unref();
      });
    },
  };
}
