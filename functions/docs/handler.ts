import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorResponse, HttpError, jsonResponse } from '#shared/http/errors.ts';
import { openApiDocument } from '#shared/http/openapi.ts';
import { apiReferencePage, landingPage, type HtmlPage } from '#shared/http/pages.ts';

/**
 * `docs`: GET / (a landing page linking the rest), GET /api (the API reference, the OpenAPI
 * document as HTML), GET /openapi.json (this API's OpenAPI 3.1 description) and GET /health
 * (liveness: it touches no table or queue, so it says the API and Lambda answer, nothing more). No
 * SDK, no auth: all are public by design and hold no data. Each is built once per container.
 */
let document: string | undefined;
let landing: HtmlPage | undefined;
let reference: HtmlPage | undefined;

function html(page: HtmlPage): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': page.csp,
      // the pages change only with a deployment, like the document they describe
      'cache-control': 'public, max-age=300',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
    body: page.html,
  };
}

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = event.routeKey && event.routeKey !== '$default' ? event.routeKey : `${method} ${event.rawPath ?? ''}`;
  if (path === 'GET /openapi.json') {
    document ??= JSON.stringify(openApiDocument());
    // the document changes only with a deployment: let clients and caches keep it for 5 minutes
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
      body: document,
    };
  }
  if (path === 'GET /') return html((landing ??= landingPage()));
  if (path === 'GET /api') return html((reference ??= apiReferencePage(openApiDocument())));
  if (path === 'GET /health') return jsonResponse(200, { status: 'ok' }, { 'cache-control': 'no-store' });
  return errorResponse(new HttpError(404, 'not_found', 'no such route'));
}
