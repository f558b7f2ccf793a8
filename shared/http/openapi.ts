import { z, type ZodObject, type ZodType } from 'zod';
import {
  EbayChallengeQuerySchema,
  EbayChallengeResponseSchema,
  ErrorBodySchema,
  HealthSchema,
  KpiChannelParamsSchema,
  KpiChannelSchema,
  KpiChannelsSchema,
  KpiQuerySchema,
  StockAlertsQuerySchema,
  StockAlertsSchema,
  StockCountsBodySchema,
  FiguresBodySchema,
  FiguresParamsSchema,
  FiguresResultSchema,
  StockCountsResultSchema,
  StockFeedPageSchema,
  StockFeedQuerySchema,
  StockReadSchema,
  StockSkuParamsSchema,
  StockSkuQuerySchema,
  WebhookAcceptedSchema,
  WebhookParamsSchema,
  DeliveryLogQuerySchema,
  DeliveryLogSchema,
  ReplayBodySchema,
  ReplayResultSchema,
  SubscriptionCreateBodySchema,
  SubscriptionIdParamsSchema,
  SubscriptionListSchema,
  SubscriptionPatchBodySchema,
  SubscriptionRotateBodySchema,
  SubscriptionSchema,
  SubscriptionWithSecretSchema,
} from '#shared/http/api-schemas.ts';

/**
 * The OpenAPI 3.1 description of every HTTP endpoint, generated from the zod schemas in
 * api-schemas.ts (`z.toJSONSchema`, JSON Schema 2020-12: the dialect OpenAPI 3.1 uses), so the
 * document cannot describe a shape the code does not have. Served at GET /openapi.json by
 * functions/docs; test/unit/http/openapi.test.ts validates it and checks every route is present.
 */

type Method = 'get' | 'post' | 'patch' | 'delete';
type Auth = 'apiKey' | 'signature' | 'none';

interface ApiResponse {
  description: string;
  schema?: ZodType;
  headers?: Record<string, string>;
}

export interface ApiRoute {
  method: Method;
  /** OpenAPI path template, which is also the HTTP API route key's path */
  path: string;
  operationId: string;
  summary: string;
  /** longer text: what the summary leaves out (scopes beyond the usual, limits) */
  description?: string;
  tag: 'webhooks' | 'stock' | 'kpis' | 'subscriptions' | 'service';
  /** apiKey: Authorization: Bearer <hub API key>; signature: the sender's webhook signature */
  auth: Auth;
  /** webhooks reach the function URL, not the HTTP API (one fewer per-request charge) */
  server?: 'webhook';
  params?: ZodObject;
  query?: ZodObject;
  body?: { schema: ZodType; contentType: string; description?: string };
  /** a non-JSON answer (the dashboard page) */
  html?: boolean;
  responses: Record<string, ApiResponse>;
}

const error = (description: string): ApiResponse => ({ description, schema: ErrorBodySchema });
const apiKeyErrors = {
  '400': error('invalid input'),
  '401': error('no or unknown API key'),
  '403': error('the key lacks the scope, channel or location'),
  '429': error('throttled by the API stage (rate 50/s, burst 100)'),
  '500': error('internal error'),
};
const etag = { etag: 'strong ETag of the body; send it back as If-None-Match for a 304' };
const webhookErrors = {
  '404': error('no such connection'),
  '405': error('method not accepted for this connection'),
  '413': error('body larger than 5 MB'),
  '429': error('reserved concurrency exhausted: the sender retries'),
  '503': error(
    'queue, store or eBay key service unavailable, or eBay key lookups over their limit: the sender retries (Retry-After)',
  ),
};

const subscriptionErrors = { ...apiKeyErrors, '404': error('no such subscription (or another partner’s)') };
const subscription = (
  method: Method,
  path: string,
  operationId: string,
  summary: string,
  rest: Partial<ApiRoute> & { responses: Record<string, ApiResponse> },
): ApiRoute => ({
  method,
  path: `/v1/subscriptions${path}`,
  operationId,
  summary,
  tag: 'subscriptions',
  auth: 'apiKey',
  ...(path.includes('{id}') ? { params: SubscriptionIdParamsSchema } : {}),
  ...rest,
  responses: { ...rest.responses, ...(path.includes('{id}') ? subscriptionErrors : apiKeyErrors) },
});

/** The subscriptions admin API (functions/stock/subscriptions.ts). */
const SUBSCRIPTION_API: readonly ApiRoute[] = [
  subscription('get', '', 'listSubscriptions', 'Subscriptions the key may manage', {
    responses: { '200': { description: 'oldest first', schema: SubscriptionListSchema } },
  }),
  subscription('post', '', 'createSubscription', 'Register an endpoint; answers its whsec_ secret once', {
    body: { schema: SubscriptionCreateBodySchema, contentType: 'application/json' },
    responses: { '201': { description: 'created', schema: SubscriptionWithSecretSchema } },
  }),
  subscription('get', '/{id}', 'getSubscription', 'One subscription', {
    responses: { '200': { description: 'the subscription', schema: SubscriptionSchema } },
  }),
  subscription('patch', '/{id}', 'updateSubscription', 'Change url, events, channels, locations or status', {
    description: 'status "disabled" stops deliveries; "active" enables again (after a persistent failure too).',
    body: { schema: SubscriptionPatchBodySchema, contentType: 'application/json' },
    responses: { '200': { description: 'the subscription after the change', schema: SubscriptionSchema } },
  }),
  subscription('delete', '/{id}', 'deleteSubscription', 'Remove a subscription', {
    responses: { '204': { description: 'removed' } },
  }),
  subscription(
    'post',
    '/{id}/rotate-secret',
    'rotateSubscriptionSecret',
    'A new secret; the previous one signs too for an overlap',
    {
      description: 'Deliveries are signed with both secrets for overlapSeconds (default 86400, at most 7 days).',
      body: { schema: SubscriptionRotateBodySchema, contentType: 'application/json' },
      responses: { '200': { description: 'rotated', schema: SubscriptionWithSecretSchema } },
    },
  ),
  subscription('post', '/{id}/end-rotation', 'endSubscriptionRotation', 'Only the newest secret signs from now on', {
    responses: { '200': { description: 'the subscription', schema: SubscriptionSchema } },
  }),
  subscription('get', '/{id}/deliveries', 'listSubscriptionDeliveries', 'The delivery log (30 days kept)', {
    query: DeliveryLogQuerySchema,
    responses: { '200': { description: 'oldest first', schema: DeliveryLogSchema } },
  }),
  subscription('post', '/{id}/replay', 'replaySubscription', 'Send a time range again', {
    description: 'The newest logged value of each subject in the range, as a fresh first attempt.',
    body: { schema: ReplayBodySchema, contentType: 'application/json' },
    responses: {
      '202': { description: 'queued', schema: ReplayResultSchema },
      '503': error('the outbound queue is not configured'),
    },
  }),
];

/** The hub's routes, one row per method and path (the stack's routes and this list must agree). */
export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/webhooks/{connectionId}',
    operationId: 'receiveWebhook',
    summary: 'Receive a marketplace or partner webhook',
    tag: 'webhooks',
    auth: 'signature',
    server: 'webhook',
    params: WebhookParamsSchema,
    body: {
      schema: z.unknown(),
      contentType: '*/*',
      description:
        "the sender's payload, byte for byte as it signed it (Shopify, WooCommerce, BigCommerce, eBay, Square, Walmart, Standard Webhooks)",
    },
    responses: {
      '202': { description: 'durably queued; processed asynchronously', schema: WebhookAcceptedSchema },
      '400': error('empty body'),
      '401': error(
        'signature missing, stale or wrong; or (url_not_configured) a Square connection without its notificationUrl',
      ),
      ...webhookErrors,
    },
  },
  {
    method: 'get',
    path: '/webhooks/{connectionId}',
    operationId: 'answerEbayChallenge',
    summary: "Answer eBay's endpoint validation challenge",
    tag: 'webhooks',
    auth: 'none',
    server: 'webhook',
    params: WebhookParamsSchema,
    query: EbayChallengeQuerySchema,
    responses: {
      '200': { description: 'the challenge response', schema: EbayChallengeResponseSchema },
      '400': error('challenge_code missing'),
      '401': error('url_not_configured: the connection has no endpointUrl, which the challenge response hashes'),
      ...webhookErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/stock/{sku}',
    operationId: 'getStock',
    summary:
      'Stock of one SKU per location; per channel its available-to-sell and the quantity the channel reports listing',
    tag: 'stock',
    auth: 'apiKey',
    params: StockSkuParamsSchema,
    query: StockSkuQuerySchema,
    responses: {
      '200': { description: 'the balances the key may see', schema: StockReadSchema, headers: etag },
      '304': { description: 'unchanged since the If-None-Match tag', headers: etag },
      '404': error('no stock recorded for the SKU (where the key may look)'),
      ...apiKeyErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/stock',
    operationId: 'listStockChanges',
    summary: 'Delta feed: balances changed since a time, oldest first, in pages',
    tag: 'stock',
    auth: 'apiKey',
    query: StockFeedQuerySchema,
    responses: {
      '200': {
        description:
          'one page: each balance at most once, with its newest state; a balance changed again comes again on a ' +
          'later page (keep the higher rev). A position older than 30 days is answered with a snapshot of every ' +
          'balance, then the changes since',
        schema: StockFeedPageSchema,
        headers: etag,
      },
      '304': { description: 'unchanged since the If-None-Match tag', headers: etag },
      ...apiKeyErrors,
    },
  },
  {
    method: 'post',
    path: '/v1/stock/counts',
    operationId: 'postStockCounts',
    summary: 'Absolute counts from a warehouse (at most 1000 rows)',
    tag: 'stock',
    auth: 'apiKey',
    body: { schema: StockCountsBodySchema, contentType: 'application/json' },
    responses: {
      '200': {
        description: 'every row applied or unchanged (a resent batch changes nothing)',
        schema: StockCountsResultSchema,
      },
      ...apiKeyErrors,
      '400': error('invalid body, or some rows invalid (error.details lists them; valid rows were applied)'),
    },
  },
  {
    method: 'get',
    path: '/v1/kpis/channels',
    operationId: 'listChannelKpis',
    summary: 'KPIs of every channel the key may see, per period',
    tag: 'kpis',
    auth: 'apiKey',
    query: KpiQuerySchema,
    responses: { '200': { description: 'per channel: total and periods', schema: KpiChannelsSchema }, ...apiKeyErrors },
  },
  {
    method: 'get',
    path: '/v1/kpis/channels/{channel}',
    operationId: 'getChannelKpis',
    summary: 'KPIs of one channel, per period, with its standards',
    tag: 'kpis',
    auth: 'apiKey',
    params: KpiChannelParamsSchema,
    query: KpiQuerySchema.omit({ channels: true }),
    responses: {
      '200': { description: 'total and periods', schema: KpiChannelSchema },
      '404': error('no such channel'),
      ...apiKeyErrors,
    },
  },
  {
    method: 'get',
    path: '/v1/kpis/stock-alerts',
    operationId: 'getStockAlerts',
    summary: "Current oversells and low stock, within the key's locations",
    description:
      'Needs the stock:read scope as well as kpi:read (or admin): the answer lists balances, as GET ' +
      '/v1/stock does. A key with kpi:read alone gets 403 forbidden.',
    tag: 'kpis',
    auth: 'apiKey',
    query: StockAlertsQuerySchema,
    responses: {
      '200': { description: 'oversold and low balances', schema: StockAlertsSchema },
      ...apiKeyErrors,
      '403': error('the key lacks kpi:read or stock:read'),
    },
  },
  {
    method: 'post',
    path: '/v1/channels/{channel}/figures',
    operationId: 'postChannelFigures',
    summary: 'Partner-reported figures of a channel: spend, acquisition and onboarding costs, pipeline, satisfaction',
    description:
      'Needs the kpi:write scope (or admin); a partner key may report only its own channels. At most 100 ' +
      'entries; an entry resent unchanged is `unchanged`, a changed entry under a known key `corrected`.',
    tag: 'kpis',
    auth: 'apiKey',
    params: FiguresParamsSchema,
    body: { schema: FiguresBodySchema, contentType: 'application/json' },
    responses: {
      '200': { description: 'the outcome of each entry, in the order sent', schema: FiguresResultSchema },
      ...apiKeyErrors,
      '400': error('invalid body (error.message names the first problems)'),
      '403': error('the key lacks kpi:write, or the channel is not its own'),
    },
  },
  {
    method: 'get',
    path: '/dashboard',
    operationId: 'dashboard',
    summary: "The managers' dashboard page (holds no data: it asks for a key and calls /v1/kpis/*)",
    tag: 'service',
    auth: 'none',
    html: true,
    responses: { '200': { description: 'an HTML page' }, '500': error('internal error') },
  },
  {
    method: 'get',
    path: '/',
    operationId: 'landing',
    summary: 'A landing page linking the dashboard, the API reference and /health',
    tag: 'service',
    auth: 'none',
    html: true,
    responses: { '200': { description: 'an HTML page' } },
  },
  {
    method: 'get',
    path: '/api',
    operationId: 'apiReference',
    summary: 'This description as a readable HTML page',
    tag: 'service',
    auth: 'none',
    html: true,
    responses: { '200': { description: 'an HTML page' } },
  },
  {
    method: 'get',
    path: '/health',
    operationId: 'health',
    summary: 'Liveness (touches no dependency)',
    tag: 'service',
    auth: 'none',
    responses: { '200': { description: 'up', schema: HealthSchema } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This document',
    tag: 'service',
    auth: 'none',
    responses: { '200': { description: 'OpenAPI 3.1 document', schema: z.looseObject({ openapi: z.string() }) } },
  },
  ...SUBSCRIPTION_API,
];

type Json = Record<string, unknown>;

/** Safe-integer bounds zod adds to every `z.int()` say nothing a reader needs. */
const SAFE_BOUND = Number.MAX_SAFE_INTEGER;

/**
 * A zod schema as an OpenAPI 3.1 schema object. Named schemas (`.meta({ id })`) come out of zod
 * as `$defs` with `#/$defs/<id>` references; they are moved into `components` and the references
 * repointed, so each shape appears once in the document.
 */
function toSchema(schema: ZodType, io: 'input' | 'output', components: Map<string, string>): Json {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  const defs = (json.$defs ?? {}) as Record<string, Json>;
  delete json.$defs;
  delete json.$schema;
  const fix = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(fix);
    if (!node || typeof node !== 'object') return node;
    const out: Json = {};
    for (const [k, v] of Object.entries(node as Json)) {
      if (k === '$ref' && typeof v === 'string') out[k] = v.replace(/^#\/\$defs\//, '#/components/schemas/');
      else if ((k === 'minimum' && v === -SAFE_BOUND) || (k === 'maximum' && v === SAFE_BOUND)) continue;
      else out[k] = fix(v);
    }
    return out;
  };
  for (const [id, def] of Object.entries(defs)) {
    const text = JSON.stringify(fix(def));
    const seen = components.get(id);
    // one id, one shape: an id reused for a different schema (or read differently as input and output) is a bug
    if (seen !== undefined && seen !== text)
      throw new Error(`OpenAPI component ${id} is defined twice with different shapes`);
    components.set(id, text);
  }
  return fix(json) as Json;
}

function parametersOf(where: 'path' | 'query', shape: ZodObject | undefined, components: Map<string, string>): Json[] {
  if (!shape) return [];
  return Object.entries(shape.shape).map(([name, s]) => {
    const schema = toSchema(s as ZodType, 'input', components);
    const { description, ...rest } = schema;
    const required = where === 'path' || !(s as ZodType).safeParse(undefined).success;
    return { name, in: where, required, ...(description ? { description } : {}), schema: rest };
  });
}

export interface OpenApiOptions {
  /** the package version, shown as info.version */
  version?: string;
}

/** The whole document; cheap enough to build once per container (functions/docs caches it). */
export function openApiDocument(opts: OpenApiOptions = {}): Json {
  const components = new Map<string, string>();
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of API_ROUTES) {
    const operation: Json = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      security: r.auth === 'apiKey' ? [{ apiKey: [] }] : [],
    };
    if (r.auth === 'signature') {
      operation.description =
        "Authenticated by the sender's own webhook signature (HMAC or public key, per source), verified " +
        "against the connection's secret in Secrets Manager.";
    }
    if (r.description)
      operation.description = operation.description ? `${operation.description} ${r.description}` : r.description;
    const parameters = [...parametersOf('path', r.params, components), ...parametersOf('query', r.query, components)];
    if (parameters.length > 0) operation.parameters = parameters;
    if (r.body) {
      operation.requestBody = {
        required: true,
        ...(r.body.description ? { description: r.body.description } : {}),
        content: { [r.body.contentType]: { schema: toSchema(r.body.schema, 'input', components) } },
      };
    }
    operation.responses = Object.fromEntries(
      Object.entries(r.responses).map(([status, res]) => [
        status,
        {
          description: res.description,
          ...(res.headers
            ? {
                headers: Object.fromEntries(
                  Object.entries(res.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }]),
                ),
              }
            : {}),
          ...(res.schema
            ? { content: { 'application/json': { schema: toSchema(res.schema, 'output', components) } } }
            : {}),
          ...(r.html && status === '200' ? { content: { 'text/html': { schema: { type: 'string' } } } } : {}),
        },
      ]),
    );
    if (r.server === 'webhook') {
      operation.servers = [
        {
          url: 'https://{urlId}.lambda-url.{region}.on.aws',
          description: 'the ingest function URL (stack output WebhookUrl)',
          variables: { urlId: { default: 'example' }, region: { default: 'us-east-1' } },
        },
      ];
    }
    (paths[r.path] ??= {})[r.method] = operation;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Inventory webhook hub',
      version: opts.version ?? '0.1.0',
      description:
        'Receives marketplace and partner webhooks, keeps stock per SKU and location, and answers stock and ' +
        'channel KPIs. Errors are always {"error":{"code","message"}}.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'the read API (stack output ApiUrl)',
        variables: { apiId: { default: 'example' }, region: { default: 'us-east-1' } },
      },
    ],
    tags: [
      { name: 'webhooks', description: 'senders → hub' },
      { name: 'stock', description: 'balances, delta feed, warehouse counts' },
      { name: 'kpis', description: 'channel KPIs over calendar periods in a time zone' },
      {
        name: 'subscriptions',
        description:
          'outbound webhook subscriptions (Standard Webhooks-signed stock changes): scope subscriptions:admin; a partner key manages its own',
      },
      { name: 'service', description: 'health, this description and the pages' },
    ],
    paths,
    components: {
      schemas: Object.fromEntries(
        [...components].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, text]) => [id, JSON.parse(text)]),
      ),
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'a hub API key (hub keys create), scoped to stock:read, stock:write, kpi:read or subscriptions:admin',
        },
      },
    },
  };
}
