import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CanonicalEvent, OrderLine, OrderStatus } from '#shared/domain/events.ts';
import {
  bodySnippet,
  type FetchResult,
  InvalidOrderError,
  issues,
  MissingCredentialsError,
  RateLimitedError,
  SenderUnavailableError,
  UnauthorizedError,
} from '#shared/hydrate/errors.ts';
import {
  type ClientOptions,
  memoryTokenCache,
  type OrderClient,
  type OrderRequest,
  type TokenCache,
} from '#shared/hydrate/types.ts';
import { readAnswer, retryAfterOf, send } from '#shared/hydrate/answer.ts';

/** eBay's production API (token endpoint and Sell APIs); a connection may name the sandbox or a fake. */
export const EBAY_API = 'https://api.ebay.com';
export const EBAY_TOKEN_PATH = '/identity/v1/oauth2/token';
/** what getOrder needs with a seller's (user) token, from the refresh-token grant */
export const EBAY_FULFILLMENT_SCOPE = 'https://api.ebay.com/oauth/api_scope/sell.fulfillment.readonly';
/** the client-credentials grant's (application token) scope */
export const EBAY_APPLICATION_SCOPE = 'https://api.ebay.com/oauth/api_scope';
/** a token is replaced this long before eBay says it expires, so no call goes out with a dying one */
const EXPIRY_MARGIN_MS = 60_000;

const amount = z.looseObject({
  value: z.string().regex(/^-?\d+(\.\d+)?$/, 'decimal string'),
  currency: z.string().regex(/^[A-Z]{3}$/),
});
const isoTime = z.iso.datetime({ offset: true });

const lineSchema = z.looseObject({
  lineItemId: z.string().min(1),
  legacyItemId: z.string().min(1),
  legacyVariationId: z.string().min(1).optional(),
  sku: z.string().min(1).optional(),
  quantity: z.number().int().nonnegative(),
  lineItemCost: amount.optional(),
  lineItemFulfillmentStatus: z.enum(['FULFILLED', 'IN_PROGRESS', 'NOT_STARTED']),
});

const orderSchema = z.looseObject({
  orderId: z.string().min(1),
  creationDate: isoTime,
  lastModifiedDate: isoTime,
  orderFulfillmentStatus: z.string().min(1),
  orderPaymentStatus: z.string().min(1),
  pricingSummary: z.looseObject({ total: amount.optional() }).optional(),
  cancelStatus: z
    .looseObject({
      cancelState: z.string().min(1),
      cancelRequests: z.array(z.looseObject({ cancelCompletedDate: isoTime.optional() })).optional(),
    })
    .optional(),
  lineItems: z.array(lineSchema),
  salesRecordReference: z.string().optional(),
  // the buyer's eBay user id (an immutable id in its place for some US buyers)
  buyer: z.looseObject({ username: z.string().optional() }).optional(),
});
type EbayOrder = z.infer<typeof orderSchema>;

const tokenSchema = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().int().positive(),
});

/**
 * eBay's Fulfillment API, getOrder (`GET /sell/fulfillment/v1/order/{orderId}`), with an OAuth
 * token minted at `POST /identity/v1/oauth2/token` (Basic auth with the keyset's client id and
 * secret): the refresh-token grant when the connection holds the seller's refresh token (a user
 * token, which getOrder needs), else the client-credentials grant. Tokens are kept in
 * `opts.tokens` until shortly before they expire; a 401 from getOrder drops the token and mints a
 * new one, once. A connection may instead hold a ready access token, used as it is.
 */
export function ebayClient(opts: ClientOptions): OrderClient {
  const creds = opts.credentials;
  const base = (creds.baseUrl ?? EBAY_API).replace(/\/+$/, '');
  const tokens: TokenCache = opts.tokens ?? memoryTokenCache();
  const canMint = creds.clientId !== undefined && creds.clientSecret !== undefined;
  const cacheKey = createHash('sha256')
    .update([base, creds.clientId ?? '', creds.refreshToken ?? '', creds.scopes ?? ''].join('\u0000'))
    .digest('hex');

  const call = (url: string, init: Parameters<ClientOptions['fetch']>[1]) => send('ebay', opts.fetch, url, init);

  async function mint(): Promise<string> {
    const grant: Record<string, string> = creds.refreshToken
      ? {
          grant_type: 'refresh_token',
          refresh_token: creds.refreshToken,
          scope: creds.scopes ?? EBAY_FULFILLMENT_SCOPE,
        }
      : { grant_type: 'client_credentials', scope: creds.scopes ?? EBAY_APPLICATION_SCOPE };
    const res = await call(`${base}${EBAY_TOKEN_PATH}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams(grant).toString(),
    });
    if (res.status === 429) throw rateLimited(res);
    // invalid_client (401), invalid_grant / invalid_scope (400): only an operator can fix these
    if (res.status === 400 || res.status === 401 || res.status === 403)
      throw new UnauthorizedError('ebay', res.status, `token endpoint: ${await bodySnippet(res)}`);
    if (!res.ok) throw new SenderUnavailableError('ebay', res.status, `token endpoint: ${await bodySnippet(res)}`);
    let parsed: z.infer<typeof tokenSchema>;
    try {
      parsed = tokenSchema.parse(await res.json());
    } catch (err) {
      throw new SenderUnavailableError('ebay', res.status, `unreadable token answer: ${(err as Error).message}`);
    }
    tokens.set(cacheKey, parsed.access_token, opts.now() + parsed.expires_in * 1000 - EXPIRY_MARGIN_MS);
    return parsed.access_token;
  }

  async function token(): Promise<string> {
    if (!canMint) {
      if (creds.accessToken) return creds.accessToken;
      throw new MissingCredentialsError(
        "the connection's eBay credentials hold neither an access token nor a client id and secret",
      );
    }
    return tokens.get(cacheKey, opts.now()) ?? (await mint());
  }

  function rateLimited(res: Response): RateLimitedError {
    return new RateLimitedError('ebay', retryAfterOf(res, opts.now()));
  }

  async function getOrder(orderId: string, accessToken: string): Promise<Response> {
    return call(`${base}/sell/fulfillment/v1/order/${encodeURIComponent(orderId)}`, {
      method: 'GET',
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
    });
  }

  return {
    async fetchOrder(req: OrderRequest): Promise<FetchResult> {
      let res = await getOrder(req.orderId, await token());
      if (res.status === 401 && canMint) {
        // the token expired or was revoked early: mint a new one and try once more
        tokens.delete(cacheKey);
        res = await getOrder(req.orderId, await mint());
      }
      const answer = await readAnswer('ebay', res, (r) => retryAfterOf(r, opts.now()));
      if (!('json' in answer)) return { kind: 'not-found' };
      const parsed = orderSchema.safeParse(answer.json);
      if (!parsed.success) throw new InvalidOrderError('ebay', `order ${req.orderId}: ${issues(parsed.error)}`);
      return { kind: 'order', events: ebayOrderEvents(parsed.data, req) };
    },
  };
}

/** eBay's order as the hub's status: a cancellation or a refund wins over the fulfilment state. */
function statusOf(order: EbayOrder): OrderStatus {
  if (order.cancelStatus?.cancelState === 'CANCELED') return 'cancelled';
  switch (order.orderPaymentStatus) {
    case 'FULLY_REFUNDED':
      return 'refunded';
    case 'PARTIALLY_REFUNDED':
      return 'partially_refunded';
    case 'FAILED':
      return 'failed';
    case 'PENDING':
      return 'pending_payment';
  }
  switch (order.orderFulfillmentStatus) {
    case 'FULFILLED':
      return 'fulfilled';
    case 'IN_PROGRESS':
      return 'partially_fulfilled';
    case 'NOT_STARTED':
      return 'paid';
  }
  return 'unknown';
}

/** A fetched eBay order as the canonical events a full order webhook would have made of it. */
export function ebayOrderEvents(order: EbayOrder, req: OrderRequest): CanonicalEvent[] {
  const status = statusOf(order);
  const at = order.lastModifiedDate;
  const base = { channel: req.channel, source: req.source, deliveryId: req.deliveryId, occurredAt: at };
  const lines = order.lineItems.map((l): OrderLine => {
    const line: OrderLine = { lineId: l.lineItemId, quantity: l.quantity };
    // the seller's SKU wins; else the listing (and its variation), which the listing map joins to a SKU
    if (l.sku) line.sku = l.sku;
    else line.externalItemId = l.legacyVariationId ? `${l.legacyItemId}:${l.legacyVariationId}` : l.legacyItemId;
    if (l.lineItemFulfillmentStatus === 'FULFILLED') line.shippedQuantity = l.quantity;
    // lineItemCost is the whole line's price: a unit price only when the line is one unit
    if (l.lineItemCost && l.quantity === 1)
      line.unitPrice = { amount: l.lineItemCost.value, currency: l.lineItemCost.currency };
    return line;
  });
  const cancelledAt =
    order.cancelStatus?.cancelRequests?.map((r) => r.cancelCompletedDate).find((d) => d !== undefined) ?? at;
  const total = order.pricingSummary?.total;
  const events: CanonicalEvent[] = [
    {
      ...base,
      type: 'OrderUpserted',
      orderId: order.orderId,
      ...(order.salesRecordReference ? { orderNumber: order.salesRecordReference } : {}),
      status,
      rawStatus: {
        orderFulfillmentStatus: order.orderFulfillmentStatus,
        orderPaymentStatus: order.orderPaymentStatus,
        ...(order.cancelStatus ? { cancelState: order.cancelStatus.cancelState } : {}),
      },
      createdAt: order.creationDate,
      version: { at },
      // hashed with the hub's customer salt before it is stored (shared/domain/customer-hash.ts)
      ...(order.buyer?.username ? { customerRef: `id:${order.buyer.username}` } : {}),
      ...(total ? { total: { amount: total.value, currency: total.currency } } : {}),
      lines,
      ...(status === 'fulfilled' ? { fulfilledAt: at } : {}),
      ...(status === 'cancelled' ? { cancelledAt } : {}),
    },
  ];
  if (status === 'cancelled') events.push({ ...base, type: 'OrderCancelled', orderId: order.orderId, cancelledAt });
  return events;
}
