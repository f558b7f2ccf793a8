import { createHash } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ZodType } from 'zod';
import { errorResponse, HttpError, jsonResponse, type JsonResponse } from '#shared/http/errors.ts';
import { hubLogger } from '#shared/observability/log.ts';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

/**
 * Response and request helpers shared by the read APIs (stock, kpi): the handlers stay adapters
 * and every edge answers bad input the same way (a 4xx JSON error, never a stack trace).
 */

export function header(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/** A strong ETag over the exact body bytes: equal bodies, equal tags, on every container. */
export function etagOf(body: string): string {
  return `"${createHash('sha256').update(body, 'utf8').digest('base64url').slice(0, 32)}"`;
}

/** RFC 9110 §13.1.2: weak comparison, a list of tags or `*`. */
export function ifNoneMatchHits(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => bare(t) === bare(etag));
}

/**
 * A 200 JSON answer with an ETag, or 304 with no body when the client already holds it.
 * `no-cache`: a cache may keep it but must revalidate — stock changes at any moment.
 */
export function cacheableJson(body: unknown, ifNoneMatch: string | undefined): JsonResponse {
  const text = JSON.stringify(body);
  const etag = etagOf(text);
  const headers = { etag, 'cache-control': 'private, no-cache' };
  if (ifNoneMatchHits(ifNoneMatch, etag)) return { statusCode: 304, headers, body: '' };
  return jsonResponse(200, body, headers);
}

/** Parses a JSON body (text or base64, as payload v2 delivers it); malformed → 400. */
export function jsonBody(body: string | undefined, isBase64Encoded: boolean | undefined): unknown {
  if (!body) throw new HttpError(400, 'invalid_json', 'a JSON body is required');
  const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
  }
}

/** Validates input with zod; the first few issues become one readable 400 message. */
export function parseInput<T>(schema: ZodType<T>, input: unknown, code = 'invalid_request'): T {
  const res = schema.safeParse(input);
  if (res.success) return res.data;
  const issues = res.error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
  throw new HttpError(400, code, issues.join('; '));
}

/**
 * The answer for anything a use case threw. HttpErrors are the caller's fault or an expected
 * refusal; anything else is logged with its stack and answered 500 without one.
 *
 * Written here rather than with `@middy/http-error-handler`: that middleware answers with the
 * error's message as the whole body (text, or a message that is already JSON), while every edge of
 * the hub answers `{"error":{"code","message"}}` with optional details and headers (Retry-After);
 * fitting it would mean rewriting each error's message into that JSON before it runs.
 */
export function toErrorResponse(err: unknown, log: Logger = apiLog): JsonResponse {
  if (err instanceof HttpError) return errorResponse(err);
  log.error('unhandled error', err instanceof Error ? err : String(err));
  return errorResponse(new HttpError(500, 'internal_error', 'internal error'));
}

const apiLog = hubLogger('api');

/**
 * The middy handler every read API shares: its runtime (clients, caches) is built on the first
 * invocation and kept while the container lives; whatever the route throws becomes the JSON error
 * body (HttpError → its status; anything else → 500 without a stack trace, logged under `fn`).
 */
export function apiHandler<R>(
  fn: string,
  makeRuntime: () => R,
  route: (rt: R, event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>,
) {
  const log = hubLogger(fn);
  let rt: R | undefined;
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(log))
    .handler(async function apiRoute(event) {
      try {
        rt ??= makeRuntime();
        return await route(rt, event);
      } catch (err) {
        return toErrorResponse(err, log);
      }
    });
}
