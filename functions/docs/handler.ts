import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorResponse, HttpError, jsonResponse } from '#shared/http/errors.ts';
import { openApiDocument } from '#shared/http/openapi.ts';

/**
 * `docs`: GET /openapi.json (this API's OpenAPI 3.1 description) and GET /health (liveness: it
 * touches no table or queue, so it says the API and Lambda answer, nothing more). No SDK, no
 * auth: both are public by design. The document is built once per container.
 */
let document: string | undefined;

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = event.routeKey && event.routeKey !== '$default' ? event.routeKey : `${method} ${event.rawPath ?? ''}`;
  if (path === 'GET /openapi.json') {
    document ??= JSON.stringify(openApiDocument());
    // the document changes only with a deployment: let clients and caches keep it for 5 minutes
    return { statusCode: 200, headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' }, body: document };
  }
  if (path === 'GET /health') return jsonResponse(200, { status: 'ok' }, { 'cache-control': 'no-store' });
  return errorResponse(new HttpError(404, 'not_found', 'no such route'));
}
