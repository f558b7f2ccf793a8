import { isUtf8 } from 'node:buffer';
import type { Connection } from '#shared/domain/connection.ts';
import type { Delivery, DeliveryBody } from '#shared/domain/delivery.ts';
import { errorResponse, HttpError, jsonResponse, type JsonResponse } from '#shared/http/errors.ts';
import { dedupKey } from '#shared/ingest/dedup-key.ts';
import { newDeliveryId } from '#shared/ingest/delivery-id.ts';
import { headersThatMatter } from '#shared/ingest/headers.ts';
import type { IngestDeps, IngestLog, IngestRequest } from '#shared/ingest/ports.ts';
import { bigCommerceHeaderName } from '#shared/ingest/schemes/bigcommerce-header.ts';
import { ebayChallengeResponse } from '#shared/ingest/schemes/ebay.ts';
import { verifySignature } from '#shared/ingest/schemes/registry.ts';
import type { VerifyInput, VerifyResult } from '#shared/ingest/schemes/types.ts';
import { hubLogger } from '#shared/observability/log.ts';

/**
 * The ingest use case: authenticate the sender, bound the size, enqueue the raw delivery, and only
 * then answer 2xx (docs/architecture.md, principle 1: a 2xx means the delivery is durable in SQS).
 * Every answer is one of 200 (eBay challenge, WooCommerce ping), 202, 400, 401, 404, 405, 413, 503,
 * or 500 for a genuine internal fault; bad input never produces a 5xx.
 */

/** API Gateway accepts 10 MB and Lambda 6 MB of event; the hub promises 5 MiB of body. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** SQS' historical message limit; `HUB_MAX_MESSAGE_BYTES` raises it for queues set to 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;
/** room kept for the message attributes (deliveryId, source, connectionId), which count toward the limit */
export const MESSAGE_ATTRIBUTE_ALLOWANCE = 1024;
/** senders that honour it (Standard Webhooks, Svix) wait this long before retrying */
export const RETRY_AFTER_SECONDS = '30';

// same rule as ConnectionIdSchema (shared/domain/connection.ts), repeated so the ingest bundle does
// not load zod's full build just to check a path segment
const CONNECTION_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const ingestLogger = hubLogger('ingest');
const defaultLog: IngestLog = {
  warn: (message, data) => ingestLogger.warn(message, data ?? {}),
  error: (message, data) => ingestLogger.error(message, data ?? {}),
};

export async function ingest(req: IngestRequest, deps: IngestDeps): Promise<JsonResponse> {
  const log = deps.log ?? defaultLog;
  try {
    return await handle(req, deps, log);
  } catch (err) {
    if (err instanceof HttpError) return errorResponse(err);
    log.error('ingest failed', { error: describe(err) });
    return errorResponse(new HttpError(500, 'internal_error', 'internal error'));
  }
}

async function handle(req: IngestRequest, deps: IngestDeps, log: IngestLog): Promise<JsonResponse> {
  const id = req.connectionId;
  if (!id || !CONNECTION_ID.test(id)) throw new HttpError(404, 'not_found', 'no such connection');
  let conn = await dependency('connection store', log, () => deps.connections.get(id));
  // Amazon SP-API notifications arrive through SQS, never over HTTP (docs/webhook-sources.md)
  if (!conn || conn.source === 'amazon') throw new HttpError(404, 'not_found', `no connection ${id}`);

  const method = req.method.toUpperCase();
  const allowed = conn.source === 'ebay' ? ['GET', 'POST'] : ['POST'];
  if (!allowed.includes(method)) {
    throw new HttpError(405, 'method_not_allowed', `${method} is not accepted here`, {
      headers: { allow: allowed.join(', ') },
    });
  }
  if (method === 'GET') return ebayChallenge(req, conn, configuredUrl(conn, 'endpointUrl', req, deps, log));

  if (req.body.length > MAX_BODY_BYTES) {
    throw new HttpError(413, 'payload_too_large', `body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  if (conn.source === 'woocommerce' && isWooCommercePing(req)) {
    // WooCommerce activates a webhook only if this unsigned ping gets exactly 200
    // (class-wc-webhook.php deliver_ping); it is not an event, so nothing is queued.
    return jsonResponse(200, { ok: true });
  }
  if (req.body.length === 0) throw new HttpError(400, 'empty_body', 'a webhook delivery needs a body');

  if (conn.source === 'square') configuredUrl(conn, 'notificationUrl', req, deps, log);

  const now = deps.now();
  const input = (c: Connection): VerifyInput => ({
    connection: c,
    headers: req.headers,
    body: req.body,
    url: req.url,
    now,
  });
  let result = await verify(input(conn), deps, log);
  if (!result.ok && result.code === 'invalid_signature') {
    // The sender may already sign with a secret rotated in after our cached copy: read once more.
    const fresh = await dependency('connection store', log, () => deps.connections.get(id, { fresh: true }));
    if (fresh && fresh.source === conn.source && fresh.secrets.join('\n') !== conn.secrets.join('\n')) {
      conn = fresh;
      result = await verify(input(conn), deps, log);
    }
  }
  if (!result.ok) throw new HttpError(401, result.code, result.message);

  const delivery = await buildDelivery(req, conn, now, deps, log);
  await dependency('delivery queue', log, () => deps.queue.send(delivery));
  return jsonResponse(202, { deliveryId: delivery.deliveryId });
}

function verify(input: VerifyInput, deps: IngestDeps, log: IngestLog): Promise<VerifyResult> {
  // only eBay's key lookup can fail for want of a dependency
  return dependency('eBay public key service', log, () => verifySignature(input, deps.ebayKeys));
}

/**
 * The URL a scheme signs over, as configured on the connection. Without one, the URL the request
 * reached, when the hub may derive it (deps.deriveUrlFromRequest); otherwise the request is refused
 * and the missing setting logged, since a derived URL is whatever the caller's Host says.
 */
function configuredUrl(
  conn: Connection,
  field: 'notificationUrl' | 'endpointUrl',
  req: IngestRequest,
  deps: IngestDeps,
  log: IngestLog,
): string {
  const configured = conn[field];
  if (configured) return configured;
  if (deps.deriveUrlFromRequest) return req.url.split('?')[0]!;
  log.error('connection misconfigured', { connectionId: conn.id, source: conn.source, missing: field });
  throw new HttpError(
    401,
    'url_not_configured',
    `connection ${conn.id} has no ${field} configured, so this request cannot be verified`,
  );
}

function ebayChallenge(req: IngestRequest, conn: Connection, endpoint: string): JsonResponse {
  const code = req.query.challenge_code;
  if (!code)
    throw new HttpError(
      400,
      'missing_challenge_code',
      'GET is only for the eBay challenge: challenge_code is required',
    );
  const token = conn.verificationToken ?? conn.secrets[0];
  if (!token) throw new HttpError(404, 'not_found', `connection ${conn.id} has no verification token`);
  // eBay hashes the endpoint exactly as registered
  return jsonResponse(200, { challengeResponse: ebayChallengeResponse(code, token, endpoint) });
}

function isWooCommercePing(req: IngestRequest): boolean {
  return (
    req.headers['x-wc-webhook-signature'] === undefined &&
    /^webhook_id=\d{1,20}$/.test(req.body.toString('latin1').trim())
  );
}

async function buildDelivery(
  req: IngestRequest,
  conn: Connection,
  now: Date,
  deps: IngestDeps,
  log: IngestLog,
): Promise<Delivery> {
  const deliveryId = newDeliveryId(now);
  const headers = headersThatMatter(conn.source, req.headers);
  // an auth header configured to one of the kept names must still never be copied
  if (conn.source === 'bigcommerce') delete headers[bigCommerceHeaderName({ connection: conn })];
  if (conn.source === 'walmart') delete headers[(conn.authHeaderName ?? 'authorization').toLowerCase()];
  const delivery: Delivery = {
    v: 1,
    deliveryId,
    connectionId: conn.id,
    source: conn.source,
    channel: conn.channel,
    partner: conn.partner,
    ...(conn.locations ? { locations: conn.locations } : {}),
    dedupKey: dedupKey(conn.source, req.headers, req.body),
    receivedAt: now.toISOString(),
    headers,
    body: inlineBody(req.body),
  };
  const limit = deps.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (Buffer.byteLength(JSON.stringify(delivery), 'utf8') + MESSAGE_ATTRIBUTE_ALLOWANCE <= limit) return delivery;
  // Claim check: the body goes to S3 and the message carries a pointer to it.
  const stored = await dependency('body store', log, () =>
    deps.bodies.put({ deliveryId, receivedAt: now, bytes: req.body, contentType: req.headers['content-type'] }),
  );
  const body: DeliveryBody = { kind: 's3', bucket: stored.bucket, key: stored.key, size: req.body.length };
  return { ...delivery, body };
}

/**
 * SQS accepts only #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF in a message
 * (SendMessage API reference). A body that is valid UTF-8 made of those travels as text; anything
 * else as base64, so the exact bytes always survive.
 */
const SQS_FORBIDDEN = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function inlineBody(bytes: Buffer): DeliveryBody {
  if (isUtf8(bytes)) {
    const text = bytes.toString('utf8');
    if (!SQS_FORBIDDEN.test(text)) return { kind: 'inline', encoding: 'utf8', data: text };
  }
  return { kind: 'inline', encoding: 'base64', data: bytes.toString('base64') };
}

async function dependency<T>(what: string, log: IngestLog, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HttpError) throw err;
    log.error(`${what} unavailable`, { error: describe(err) });
    // the sender retries a 503; a 2xx here would lose the delivery
    throw new HttpError(503, 'unavailable', `${what} is unavailable, retry later`, {
      cause: err,
      headers: { 'retry-after': RETRY_AFTER_SECONDS },
    });
  }
}

function describe(err: unknown): Record<string, unknown> {
  return err instanceof Error ? { name: err.name, message: err.message } : { message: String(err) };
}
