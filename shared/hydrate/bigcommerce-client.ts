import { z } from 'zod';
import type { CanonicalEvent, OrderLine, OrderStatus } from '#shared/domain/events.ts';
import {
  clampDelay,
  DEFAULT_RETRY_AFTER_SECONDS,
  InvalidOrderError,
  MissingCredentialsError,
  issues,
  retryAfterSeconds,
  SenderUnavailableError,
  type FetchResult,
} from '#shared/hydrate/errors.ts';
import type { ClientOptions, OrderClient, OrderRequest } from '#shared/hydrate/types.ts';
import { readAnswer, send } from '#shared/hydrate/answer.ts';

/** BigCommerce's API host; a connection's credentials may name another (a fake, in local runs). */
export const BIGCOMMERCE_API = 'https://api.bigcommerce.com';

/** BigCommerce's order status ids (Orders v2 `status_id`) as the hub's statuses. */
const STATUS: Record<number, OrderStatus> = {
  0: 'pending_payment', // Incomplete
  1: 'pending_payment', // Pending
  2: 'fulfilled', // Shipped
  3: 'partially_fulfilled', // Partially Shipped
  4: 'refunded', // Refunded
  5: 'cancelled', // Cancelled
  6: 'failed', // Declined
  7: 'pending_payment', // Awaiting Payment
  8: 'paid', // Awaiting Pickup
  9: 'paid', // Awaiting Shipment
  10: 'fulfilled', // Completed
  11: 'paid', // Awaiting Fulfillment
  12: 'on_hold', // Manual Verification Required
  13: 'on_hold', // Disputed
  14: 'partially_refunded', // Partially Refunded
};
export const BIGCOMMERCE_CANCELLED = 5;

/** BigCommerce v2 dates are RFC 2822 ("Tue, 05 Mar 2024 10:00:00 +0000"): read into ISO. */
const rfc2822 = z.string().transform((s, ctx) => {
  const t = Date.parse(s);
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: 'custom', message: `not a date: "${s}"` });
    return z.NEVER;
  }
  return new Date(t).toISOString();
});
const decimal = z.union([z.string().regex(/^-?\d+(\.\d+)?$/), z.number()]).transform(String);

const orderSchema = z.looseObject({
  id: z.number().int(),
  status_id: z.number().int(),
  status: z.string().optional(),
  date_created: rfc2822,
  date_modified: rfc2822,
  date_shipped: z.union([rfc2822, z.literal('')]).optional(),
  total_inc_tax: decimal.optional(),
  currency_code: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  // 0 is a guest checkout: the billing email is then the only customer identity
  customer_id: z.number().int().nonnegative().optional(),
  billing_address: z.looseObject({ email: z.string().optional() }).optional(),
});

const productSchema = z.looseObject({
  id: z.number().int(),
  product_id: z.number().int(),
  variant_id: z.number().int().nullish(),
  sku: z.string().optional(),
  quantity: z.number().int().nonnegative(),
  quantity_shipped: z.number().int().nonnegative().optional(),
  base_price: decimal.optional(),
});

/**
 * BigCommerce Orders v2: `GET /stores/{store_hash}/v2/orders/{id}` and its
 * `/products`, with `X-Auth-Token`. A 429 says when to come back in `X-Rate-Limit-Time-Reset-Ms`
 * (and sometimes Retry-After, which wins).
 */
export function bigcommerceClient(opts: ClientOptions): OrderClient {
  const { storeHash, accessToken } = opts.credentials;
  const base = (opts.credentials.baseUrl ?? BIGCOMMERCE_API).replace(/\/+$/, '');

  async function get(path: string): Promise<{ status: number; json: unknown }> {
    if (!storeHash)
      throw new SenderUnavailableError(
        'bigcommerce',
        undefined,
        "the connection's API credentials name no store hash (--store-hash)",
      );
    if (!accessToken)
      throw new MissingCredentialsError("the connection's API credentials name no access token (--token)");
    const res = await send('bigcommerce', opts.fetch, `${base}/stores/${encodeURIComponent(storeHash)}${path}`, {
      method: 'GET',
      headers: { 'x-auth-token': accessToken, accept: 'application/json' },
    });
    // an empty collection is 204 in v2
    if (res.status === 204) return { status: 204, json: [] };
    const answer = await readAnswer('bigcommerce', res, (r) => rateLimitDelay(r, opts.now()));
    return 'json' in answer ? answer : { status: 404, json: undefined };
  }

  return {
    async fetchOrder(req: OrderRequest): Promise<FetchResult> {
      const id = encodeURIComponent(req.orderId);
      const o = await get(`/v2/orders/${id}`);
      if (o.status === 404) return { kind: 'not-found' };
      const order = orderSchema.safeParse(o.json);
      if (!order.success) throw new InvalidOrderError('bigcommerce', `order ${req.orderId}: ${issues(order.error)}`);
      const p = await get(`/v2/orders/${id}/products`);
      // the order went between the two calls
      if (p.status === 404) return { kind: 'not-found' };
      const products = z.array(productSchema).safeParse(p.json);
      if (!products.success)
        throw new InvalidOrderError('bigcommerce', `products of order ${req.orderId}: ${issues(products.error)}`);
      return { kind: 'order', events: bigcommerceOrderEvents(order.data, products.data, req) };
    },
  };
}

function rateLimitDelay(res: Response, nowMs: number): number {
  const retryAfter = retryAfterSeconds(res.headers.get('retry-after'), nowMs);
  if (retryAfter !== undefined) return retryAfter;
  const resetMs = Number(res.headers.get('x-rate-limit-time-reset-ms'));
  if (res.headers.has('x-rate-limit-time-reset-ms') && Number.isFinite(resetMs) && resetMs >= 0)
    return clampDelay(resetMs / 1000);
  return DEFAULT_RETRY_AFTER_SECONDS;
}

type BcOrder = z.infer<typeof orderSchema>;
type BcProduct = z.infer<typeof productSchema>;

/** A fetched BigCommerce order and its products as canonical events. */
export function bigcommerceOrderEvents(order: BcOrder, products: BcProduct[], req: OrderRequest): CanonicalEvent[] {
  const status = STATUS[order.status_id] ?? 'unknown';
  const currency = order.currency_code;
  const base = {
    channel: req.channel,
    source: req.source,
    deliveryId: req.deliveryId,
    occurredAt: order.date_modified,
  };
  const lines = products.map((p): OrderLine => {
    const line: OrderLine = { lineId: String(p.id), quantity: p.quantity };
    // the same listing ids the inventory webhooks use, for products without a SKU
    if (p.sku) line.sku = p.sku;
    else line.externalItemId = p.variant_id ? `variant:${p.variant_id}` : `product:${p.product_id}`;
    if (p.quantity_shipped) line.shippedQuantity = Math.min(p.quantity_shipped, p.quantity);
    if (p.base_price !== undefined && currency) line.unitPrice = { amount: p.base_price, currency };
    return line;
  });
  const shippedAt = order.date_shipped ? order.date_shipped : undefined;
  const events: CanonicalEvent[] = [
    {
      ...base,
      type: 'OrderUpserted',
      orderId: String(order.id),
      orderNumber: String(order.id),
      status,
      rawStatus: { status_id: String(order.status_id), ...(order.status ? { status: order.status } : {}) },
      createdAt: order.date_created,
      version: { at: order.date_modified },
      // hashed with the hub's customer salt before it is stored (shared/domain/customer-hash.ts)
      ...customerOf(order),
      ...(order.total_inc_tax !== undefined && currency ? { total: { amount: order.total_inc_tax, currency } } : {}),
      lines,
      ...(status === 'fulfilled' ? { fulfilledAt: shippedAt ?? order.date_modified } : {}),
      ...(status === 'cancelled' ? { cancelledAt: order.date_modified } : {}),
    },
  ];
  if (order.status_id === BIGCOMMERCE_CANCELLED) {
    events.push({ ...base, type: 'OrderCancelled', orderId: String(order.id), cancelledAt: order.date_modified });
  }
  return events;
}

/** As the WooCommerce adapter: the customer id, or for a guest (customer_id 0) the billing email. */
function customerOf(order: z.infer<typeof orderSchema>): { customerRef?: string } {
  if (order.customer_id) return { customerRef: `id:${order.customer_id}` };
  const email = order.billing_address?.email?.trim().toLowerCase();
  return email ? { customerRef: `email:${email}` } : {};
}
