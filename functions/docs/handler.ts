import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorResponse, HttpError, jsonResponse } from '#shared/http/errors.ts';
import { openApiDocument } from '#shared/http/openapi.ts';
import { bindRoutes } from '#shared/http/routes.ts';
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

const route = bindRoutes<'docs', undefined, APIGatewayProxyStructuredResultV2>('docs', {
  'GET /openapi.json': async () => {
    document ??= JSON.stringify(openApiDocument());
    // the document changes only with a deployment: let clients and caches keep it for 5 minutes
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
      body: document,
    };
  },
  'GET /': async () => html((landing ??= landingPage())),
  'GET /api': async () => html((reference ??= apiReferencePage(openApiDocument()))),
  'GET /health': async () => jsonResponse(200, { status: 'ok' }, { 'cache-control': 'no-store' }),
});

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    return await route(undefined, event);
  } catch (err) {
    if (err instanceof HttpError) return errorResponse(err);
    throw err;
  }
}
