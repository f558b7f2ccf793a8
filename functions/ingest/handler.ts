import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorResponse, HttpError } from '#shared/http/errors.ts';
import { ingest } from '#shared/ingest/ingest.ts';
import type { IngestDeps, IngestRequest } from '#shared/ingest/ports.ts';
import { buildIngestDeps } from '#shared/ingest/deps.ts';
import { createTelemetry } from '#shared/observability/telemetry.ts';

const telemetry = createTelemetry({ fn: 'ingest' });

/**
 * `ingest`: POST /webhooks/{connectionId} (GET too, for eBay's challenge). Adapts an HTTP API /
 * function URL payload v2 event to the use case. Dependencies are built on the first invocation
 * from the environment (see shared/ingest/deps.ts) and reused while the container lives.
 */
export function toIngestRequest(event: APIGatewayProxyEventV2): IngestRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined) query[k] = v;
  const rawPath = event.rawPath ?? '/';
  const proto = headers['x-forwarded-proto'] ?? 'https';
  const host = headers.host ?? event.requestContext?.domainName ?? 'localhost';
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    connectionId: event.pathParameters?.connectionId ?? connectionIdFromPath(rawPath),
    headers,
    query,
    // the signature covers the bytes as sent: binary bodies arrive base64-encoded, text ones as the string
    body: event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0),
    url: `${proto}://${host}${rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`,
  };
}

/** Function URLs have no route parameters: the id is the segment after `/webhooks/`. */
export function connectionIdFromPath(rawPath: string): string | undefined {
  const m = /\/webhooks\/([^/]+)\/?$/.exec(rawPath);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}

export function createHandler(makeDeps: () => IngestDeps = () => buildIngestDeps(process.env)) {
  let deps: IngestDeps | undefined;
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler(
    async function ingestHandler(event) {
      try {
        deps ??= makeDeps();
      } catch (err) {
        // a misconfigured function answers 500 JSON (the sender retries), never a bare 502
        telemetry.logger.error('ingest misconfigured', { error: (err as Error).message });
        return errorResponse(new HttpError(500, 'internal_error', 'internal error'));
      }
      const req = toIngestRequest(event);
      const res = await ingest(req, deps);
      await observe(req, res, deps);
      return res;
    },
  );
}

/**
 * Rejections are counted here, per source and reason (they are rare and alarms want them at once);
 * accepted deliveries are counted by normalize once per batch, so a webhook that is accepted costs
 * no log line of its own.
 */
async function observe(req: IngestRequest, res: { statusCode: number; body: string }, deps: IngestDeps): Promise<void> {
  if (res.statusCode < 400) return;
  try {
    const body = res.body ? (JSON.parse(res.body) as { error?: { code?: string } }) : {};
    // the connection is in the store's cache after ingest; an unknown id (404) is not looked up again
    const conn = res.statusCode !== 404 && req.connectionId ? await deps.connections.get(req.connectionId) : undefined;
    telemetry.deliveryRejected(conn?.source ?? 'unknown', body.error?.code ?? String(res.statusCode));
  } catch {
    // telemetry never changes what the sender is told
  }
}

export const handler = createHandler();
