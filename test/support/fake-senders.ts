import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Fake sender APIs on 127.0.0.1 for the hydration clients: they implement the documented requests,
 * answers, errors and rate limits of the calls the hub makes, nothing more. `failNext` makes the
 * next requests fail the way the real API does when overloaded, rate limited or misconfigured.
 */
export interface FakeFailure {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeSender {
  url: string;
  /** every request received, in order */
  requests: { method: string; path: string; headers: IncomingMessage['headers']; body: string }[];
  failNext(...failures: FakeFailure[]): void;
  close(): Promise<void>;
}

async function listen(
  handler: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), ...headers });
  res.end(text);
}

function fake(handle: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<FakeSender> {
  const failures: FakeFailure[] = [];
  const requests: FakeSender['requests'] = [];
  return listen((req, body, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
    const f = failures.shift();
    if (f) return send(res, f.status, f.body ?? { errors: [{ detail: `fake failure ${f.status}` }] }, f.headers);
    handle(req, body, res);
  }).then(({ server, url }) => ({
    url,
    requests,
    failNext: (...f: FakeFailure[]) => void failures.push(...f),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }));
}

/** Square's Orders API: `POST /v2/orders/batch-retrieve` with a Bearer token and `Square-Version`. */
export interface FakeSquare extends FakeSender {
  orders: Map<string, Record<string, unknown>>;
  /** Catalog API objects by id: `GET /v2/catalog/object/{object_id}` answers `{object}` */
  catalog: Map<string, Record<string, unknown>>;
}

export async function fakeSquare(opts: { token: string }): Promise<FakeSquare> {
  const orders = new Map<string, Record<string, unknown>>();
  const catalog = new Map<string, Record<string, unknown>>();
  const s = await fake((req, body, res) => {
    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      return send(res, 401, {
        errors: [
          { category: 'AUTHENTICATION_ERROR', code: 'UNAUTHORIZED', detail: 'This request could not be authorized.' },
        ],
      });
    }
    const object = /^\/v2\/catalog\/object\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && object) {
      const found = catalog.get(decodeURIComponent(object[1]!));
      return found
        ? send(res, 200, { object: found })
        : send(res, 404, {
            errors: [{ category: 'INVALID_REQUEST_ERROR', code: 'NOT_FOUND', detail: 'Object not found.' }],
          });
    }
    if (req.method !== 'POST' || req.url !== '/v2/orders/batch-retrieve')
      return send(res, 404, { errors: [{ category: 'INVALID_REQUEST_ERROR', code: 'NOT_FOUND' }] });
    if (!req.headers['square-version'])
      return send(res, 400, {
        errors: [{ category: 'INVALID_REQUEST_ERROR', code: 'INVALID_VALUE', field: 'Square-Version' }],
      });
    let ids: unknown;
    try {
      ids = (JSON.parse(body) as { order_ids?: unknown }).order_ids;
    } catch {
      return send(res, 400, { errors: [{ category: 'INVALID_REQUEST_ERROR', code: 'INVALID_BODY' }] });
    }
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100) {
      return send(res, 400, {
        errors: [{ category: 'INVALID_REQUEST_ERROR', code: 'INVALID_ARRAY_LENGTH', field: 'order_ids' }],
      });
    }
    // unknown ids are left out, not an error
    const found = ids.map((id) => orders.get(String(id))).filter((o) => o !== undefined);
    send(res, 200, found.length > 0 ? { orders: found } : {});
  });
  return Object.assign(s, { orders, catalog });
}

/** BigCommerce Orders v2: `GET /stores/{hash}/v2/orders/{id}` and `/products`, `X-Auth-Token`. */
export interface FakeBigCommerce extends FakeSender {
  orders: Map<string, { order: Record<string, unknown>; products: Record<string, unknown>[] }>;
  /** Catalog v3 variants by id (`GET /v3/catalog/variants?id:in=…`, `{data: [...], meta}`) */
  variants: Map<string, Record<string, unknown>>;
  /** Catalog v3 products by id (`GET /v3/catalog/products/{id}`, `{data, meta}`) */
  catalogProducts: Map<string, Record<string, unknown>>;
}

export async function fakeBigCommerce(opts: {
  token: string;
  storeHash: string;
  quota?: number;
}): Promise<FakeBigCommerce> {
  const orders: FakeBigCommerce['orders'] = new Map();
  const variants: FakeBigCommerce['variants'] = new Map();
  const catalogProducts: FakeBigCommerce['catalogProducts'] = new Map();
  const s = await fake((req, _body, res) => {
    const rate = {
      'x-rate-limit-requests-quota': String(opts.quota ?? 150),
      'x-rate-limit-requests-left': String((opts.quota ?? 150) - 1),
      'x-rate-limit-time-window-ms': '30000',
      'x-rate-limit-time-reset-ms': '29000',
    };
    if (req.headers['x-auth-token'] !== opts.token)
      return send(res, 401, [{ status: 401, message: 'You are not authorized to access this resource.' }]);
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'GET' && url.pathname === `/stores/${opts.storeHash}/v3/catalog/variants`) {
      const ids = (url.searchParams.get('id:in') ?? '').split(',').filter(Boolean);
      const data = ids.map((id) => variants.get(id)).filter((v) => v !== undefined);
      const pagination = { total: data.length, count: data.length, per_page: 50, current_page: 1, total_pages: 1 };
      return send(res, 200, { data, meta: { pagination } }, rate);
    }
    const product = new RegExp(`^/stores/${opts.storeHash}/v3/catalog/products/(\\d+)$`).exec(url.pathname);
    if (req.method === 'GET' && product) {
      const found = catalogProducts.get(product[1]!);
      return found
        ? send(res, 200, { data: found, meta: {} }, rate)
        : send(
            res,
            404,
            {
              status: 404,
              title: 'The requested resource was not found.',
              type: 'https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes',
            },
            rate,
          );
    }
    const m = new RegExp(`^/stores/${opts.storeHash}/v2/orders/(\\d+)(/products)?$`).exec(req.url ?? '');
    const entry = m ? orders.get(m[1]!) : undefined;
    if (req.method !== 'GET' || !entry)
      return send(res, 404, [{ status: 404, message: 'The requested resource was not found.' }], rate);
    if (m![2])
      return entry.products.length > 0 ? send(res, 200, entry.products, rate) : send(res, 204, undefined, rate);
    send(res, 200, entry.order, rate);
  });
  return Object.assign(s, { orders, variants, catalogProducts });
}

/**
 * Square's `order.created` notification as the Webhooks reference shows it: thin, it names the
 * order (id, location, state, version) and nothing it contains — the hub fetches the order.
 */
export function squareOrderCreated(orderId: string, locationId: string, at = '2026-03-02T15:58:10.000Z'): string {
  return JSON.stringify({
    merchant_id: 'MLQW2K0X7AB3C',
    type: 'order.created',
    event_id: randomUUID(),
    created_at: at,
    data: {
      type: 'order_created',
      id: orderId,
      object: {
        order_created: { created_at: at, location_id: locationId, order_id: orderId, state: 'OPEN', version: 1 },
      },
    },
  });
}

/** A Square order object as BatchRetrieveOrders returns it. */
export function squareOrder(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'CAISENgvlJ6jLWAzERDzjyHVybY',
    location_id: 'L88917AVBK2S5',
    state: 'OPEN',
    version: 2,
    created_at: '2026-09-15T11:00:00.000Z',
    updated_at: '2026-09-15T11:05:00.000Z',
    line_items: [
      {
        uid: 'line-1',
        name: 'Mug',
        catalog_object_id: 'W62UWFY35CWMYGVWK6TWJDNI',
        quantity: '2',
        base_price_money: { amount: 1250, currency: 'USD' },
      },
    ],
    total_money: { amount: 2500, currency: 'USD' },
    ...over,
  };
}

/** A BigCommerce v2 order and its products. */
export function bigcommerceOrder(over: Record<string, unknown> = {}, products?: Record<string, unknown>[]) {
  return {
    order: {
      id: 118,
      status_id: 11,
      status: 'Awaiting Fulfillment',
      date_created: 'Tue, 15 Sep 2026 11:00:00 +0000',
      date_modified: 'Tue, 15 Sep 2026 11:05:00 +0000',
      date_shipped: '',
      total_inc_tax: '49.9800',
      currency_code: 'USD',
      ...over,
    },
    products: products ?? [
      {
        id: 9,
        order_id: 118,
        product_id: 77,
        variant_id: 501,
        sku: 'TEE-BLK-M',
        quantity: 2,
        quantity_shipped: 0,
        base_price: '24.9900',
      },
    ],
  };
}

/**
 * eBay: the OAuth token endpoint (`POST /identity/v1/oauth2/token`, Basic auth with the keyset's
 * client id and secret, form-encoded `client_credentials` or `refresh_token` grant) and the
 * Fulfillment API's getOrder (`GET /sell/fulfillment/v1/order/{orderId}`, Bearer token). Tokens it
 * mints live `tokenLifetimeSeconds`; `expireTokens()` makes every minted token expire at once (a
 * 401 with eBay's "Invalid access token" error, as eBay answers an expired one).
 */
export interface FakeEbay extends FakeSender {
  orders: Map<string, Record<string, unknown>>;
  /** the grants the token endpoint answered, in order */
  grants: string[];
  expireTokens(): void;
}

export async function fakeEbay(opts: {
  clientId: string;
  clientSecret: string;
  refreshToken?: string;
  tokenLifetimeSeconds?: number;
  /**
   * the Notification API's public keys by kid (`GET /commerce/notification/v1/public_key/{kid}`,
   * with an application token), which the ingest fetches to verify X-EBAY-SIGNATURE
   */
  publicKeys?: Record<string, { key: string; algorithm?: string; digest?: string }>;
}): Promise<FakeEbay> {
  const orders = new Map<string, Record<string, unknown>>();
  const grants: string[] = [];
  const live = new Set<string>();
  let minted = 0;
  const basic = `Basic ${Buffer.from(`${opts.clientId}:${opts.clientSecret}`).toString('base64')}`;
  const s = await fake((req, body, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'POST' && url.pathname === '/identity/v1/oauth2/token') {
      if (req.headers.authorization !== basic)
        return send(res, 401, { error: 'invalid_client', error_description: 'client authentication failed' });
      if (req.headers['content-type'] !== 'application/x-www-form-urlencoded')
        return send(res, 400, {
          error: 'invalid_request',
          error_description: 'request is missing a required parameter',
        });
      const form = new URLSearchParams(body);
      const grant = form.get('grant_type') ?? '';
      if (grant === 'refresh_token') {
        if (!opts.refreshToken || form.get('refresh_token') !== opts.refreshToken)
          return send(res, 400, {
            error: 'invalid_grant',
            error_description: 'the provided authorization refresh token is invalid or was issued to another client',
          });
      } else if (grant !== 'client_credentials') {
        return send(res, 400, {
          error: 'unsupported_grant_type',
          error_description: 'grant type in request is not supported by the authorization server',
        });
      }
      grants.push(grant);
      const token = `v^1.1#i^1#fake-${++minted}`;
      live.add(token);
      return send(res, 200, {
        access_token: token,
        expires_in: opts.tokenLifetimeSeconds ?? 7200,
        token_type: grant === 'refresh_token' ? 'User Access Token' : 'Application Access Token',
      });
    }
    const keyPath = /^\/commerce\/notification\/v1\/public_key\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && keyPath && opts.publicKeys) {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!bearer || !live.has(bearer))
        return send(res, 401, { errors: [{ errorId: 1001, domain: 'OAuth', message: 'Invalid access token' }] });
      const key = opts.publicKeys[decodeURIComponent(keyPath[1]!)];
      return key
        ? send(res, 200, key)
        : send(res, 404, { errors: [{ errorId: 195000, domain: 'API_NOTIFICATION', message: 'Resource not found' }] });
    }
    const m = /^\/sell\/fulfillment\/v1\/order\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m)
      return send(res, 404, { errors: [{ errorId: 2002, domain: 'API_FULFILLMENT', message: 'Resource not found' }] });
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !live.has(bearer))
      return send(res, 401, {
        errors: [
          {
            errorId: 1001,
            domain: 'OAuth',
            category: 'REQUEST',
            message: 'Invalid access token',
            longMessage: 'Invalid access token. Check the value of the Authorization HTTP request header.',
          },
        ],
      });
    const order = orders.get(decodeURIComponent(m[1]!));
    if (!order)
      return send(res, 404, {
        errors: [{ errorId: 32100, domain: 'API_FULFILLMENT', category: 'REQUEST', message: 'Invalid Order Id' }],
      });
    send(res, 200, order);
  });
  return Object.assign(s, { orders, grants, expireTokens: () => live.clear() });
}

/**
 * An eBay order as getOrder returns it. Mirrors, field for field, the "Retrieve an order" sample of
 * the Fulfillment API's getOrder reference (developer.ebay.com, sell/fulfillment/resources/order/
 * methods/getOrder): the same containers and value formats (amounts as decimal strings with a
 * currency, ISO dates, masked buyer), with this suite's ids, listing and dates.
 */
export function ebayOrder(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    orderId: '12-11223-44556',
    legacyOrderId: '225812344111-10064332887921',
    creationDate: '2026-03-02T17:44:12.000Z',
    lastModifiedDate: '2026-03-02T17:46:03.000Z',
    orderFulfillmentStatus: 'NOT_STARTED',
    orderPaymentStatus: 'PAID',
    sellerId: 'clayandco_store',
    buyer: {
      username: 'j******n',
      taxAddress: { stateOrProvince: 'CA', postalCode: '95125', countryCode: 'US' },
    },
    pricingSummary: {
      priceSubtotal: { value: '37.50', currency: 'USD' },
      deliveryCost: { value: '0.0', currency: 'USD' },
      total: { value: '37.50', currency: 'USD' },
    },
    cancelStatus: { cancelState: 'NONE_REQUESTED', cancelRequests: [] },
    paymentSummary: {
      totalDueSeller: { value: '37.50', currency: 'USD' },
      refunds: [],
      payments: [
        {
          paymentMethod: 'EBAY',
          paymentReferenceId: '1M2H3V4K5E6N7W8P',
          paymentDate: '2026-03-02T17:44:14.000Z',
          amount: { value: '37.50', currency: 'USD' },
          paymentStatus: 'PAID',
        },
      ],
    },
    fulfillmentStartInstructions: [
      {
        fulfillmentInstructionsType: 'SHIP_TO',
        minEstimatedDeliveryDate: '2026-03-05T08:00:00.000Z',
        maxEstimatedDeliveryDate: '2026-03-09T08:00:00.000Z',
        ebaySupportedFulfillment: false,
        shippingStep: {
          shipTo: {
            fullName: 'J**** J******n',
            contactAddress: {
              addressLine1: '2*** N***** A**',
              city: 'San Jose',
              stateOrProvince: 'CA',
              postalCode: '95125',
              countryCode: 'US',
            },
            primaryPhone: { phoneNumber: '4085551234' },
            email: 'a1b2c3d4e5f6@members.ebay.com',
          },
          shippingCarrierCode: 'USPS',
          shippingServiceCode: 'USPSPriority',
        },
      },
    ],
    fulfillmentHrefs: [],
    lineItems: [
      {
        lineItemId: '10064332887921',
        legacyItemId: '225812344111',
        sku: 'MUG-WHT',
        title: 'Handmade stoneware mug, white',
        lineItemCost: { value: '25.00', currency: 'USD' },
        quantity: 2,
        soldFormat: 'FIXED_PRICE',
        listingMarketplaceId: 'EBAY_US',
        purchaseMarketplaceId: 'EBAY_US',
        lineItemFulfillmentStatus: 'NOT_STARTED',
        total: { value: '25.00', currency: 'USD' },
        deliveryCost: { shippingCost: { value: '0.0', currency: 'USD' } },
        appliedPromotions: [],
        taxes: [],
        properties: { buyerProtection: true },
        lineItemFulfillmentInstructions: {
          minEstimatedDeliveryDate: '2026-03-05T08:00:00.000Z',
          maxEstimatedDeliveryDate: '2026-03-09T08:00:00.000Z',
          shipByDate: '2026-03-04T07:59:59.000Z',
          guaranteedDelivery: false,
        },
      },
      {
        lineItemId: '10064332887922',
        legacyItemId: '225812344222',
        title: 'Stoneware saucer',
        lineItemCost: { value: '12.50', currency: 'USD' },
        quantity: 1,
        soldFormat: 'FIXED_PRICE',
        listingMarketplaceId: 'EBAY_US',
        purchaseMarketplaceId: 'EBAY_US',
        lineItemFulfillmentStatus: 'NOT_STARTED',
        total: { value: '12.50', currency: 'USD' },
        deliveryCost: { shippingCost: { value: '0.0', currency: 'USD' } },
        appliedPromotions: [],
        taxes: [],
        properties: { buyerProtection: true },
        lineItemFulfillmentInstructions: {
          minEstimatedDeliveryDate: '2026-03-05T08:00:00.000Z',
          maxEstimatedDeliveryDate: '2026-03-09T08:00:00.000Z',
          shipByDate: '2026-03-04T07:59:59.000Z',
          guaranteedDelivery: false,
        },
      },
    ],
    salesRecordReference: '1042',
    totalFeeBasisAmount: { value: '37.50', currency: 'USD' },
    totalMarketplaceFee: { value: '4.98', currency: 'USD' },
    ...over,
  };
}
