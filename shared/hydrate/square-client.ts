import { z } from 'zod';
import type { CanonicalEvent, OrderLine, OrderStatus } from '#shared/domain/events.ts';
import { fromMinor } from '#shared/domain/money.ts';
import { InvalidOrderError, MissingCredentialsError, issues, type FetchResult } from '#shared/hydrate/errors.ts';
import type { ClientOptions, OrderClient, OrderRequest } from '#shared/hydrate/types.ts';
import { readAnswer, retryAfterOf, send } from '#shared/hydrate/answer.ts';

/** Square's production API; a connection's credentials may name another (the sandbox, a fake). */
export const SQUARE_API = 'https://connect.squareup.com';
/** the API version the mapping below was written against (Square pins behaviour per version) */
export const SQUARE_VERSION = '2025-01-23';

const money = z.looseObject({ amount: z.number().int(), currency: z.string().regex(/^[A-Z]{3}$/) });

const lineSchema = z.looseObject({
  uid: z.string().min(1).optional(),
  catalog_object_id: z.string().min(1).optional(),
  sku: z.string().min(1).optional(),
  // Square sends quantities as decimal strings: items sold by measure can be fractional
  quantity: z.string().regex(/^\d+$/, 'expected a whole number of units'),
  base_price_money: money.optional(),
});

const orderSchema = z.looseObject({
  id: z.string().min(1),
  location_id: z.string().min(1),
  state: z.string().min(1),
  version: z.number().int().nonnegative(),
  created_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }),
  closed_at: z.iso.datetime({ offset: true }).optional(),
  reference_id: z.string().optional(),
  // the Customers API id of the buyer; absent on orders no customer is attached to
  customer_id: z.string().min(1).optional(),
  line_items: z.array(lineSchema).optional(),
  total_money: money.optional(),
});

const responseSchema = z.looseObject({ orders: z.array(orderSchema).optional() });

const STATUS: Record<string, OrderStatus> = {
  DRAFT: 'pending_payment',
  OPEN: 'processing',
  COMPLETED: 'fulfilled',
  CANCELED: 'cancelled',
};

/**
 * Square's Orders API: BatchRetrieveOrders (`POST /v2/orders/batch-retrieve`, Bearer token,
 * `Square-Version`) for one id. Square leaves out an id it does not know instead of failing, so an
 * empty `orders` is the order's absence.
 */
export function squareClient(opts: ClientOptions): OrderClient {
  const base = (opts.credentials.baseUrl ?? SQUARE_API).replace(/\/+$/, '');
  return {
    async fetchOrder(req: OrderRequest): Promise<FetchResult> {
      if (!opts.credentials.accessToken)
        throw new MissingCredentialsError("the connection's API credentials name no access token (--token)");
      const res = await send('square', opts.fetch, `${base}/v2/orders/batch-retrieve`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${opts.credentials.accessToken}`,
          'square-version': SQUARE_VERSION,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify({
          order_ids: [req.orderId],
          ...(req.locationId ? { location_id: req.locationId } : {}),
        }),
      });
      const answer = await readAnswer('square', res, (r) => retryAfterOf(r, opts.now()));
      if (!('json' in answer)) return { kind: 'not-found' };
      const parsed = responseSchema.safeParse(answer.json);
      if (!parsed.success) throw new InvalidOrderError('square', `order ${req.orderId}: ${issues(parsed.error)}`);
      const order = parsed.data.orders?.find((o) => o.id === req.orderId);
      if (!order) return { kind: 'not-found' };
      return { kind: 'order', events: squareOrderEvents(order, req) };
    },
  };
}

type SquareOrder = z.infer<typeof orderSchema>;

/** A fetched Square order as the canonical events the webhook adapters would have made of it. */
export function squareOrderEvents(order: SquareOrder, req: OrderRequest): CanonicalEvent[] {
  const status = STATUS[order.state] ?? 'unknown';
  const base = { channel: req.channel, source: req.source, deliveryId: req.deliveryId, occurredAt: order.updated_at };
  const lines = (order.line_items ?? []).map((l, i): OrderLine => {
    const line: OrderLine = { lineId: l.uid ?? String(i), quantity: Number(l.quantity) };
    // a line's own SKU wins; else the catalog variation id, which the listing map joins to a SKU
    if (l.sku) line.sku = l.sku;
    else if (l.catalog_object_id) line.externalItemId = l.catalog_object_id;
    if (l.base_price_money)
      line.unitPrice = {
        amount: fromMinor(l.base_price_money.amount, l.base_price_money.currency),
        currency: l.base_price_money.currency,
      };
    return line;
  });
  const events: CanonicalEvent[] = [
    {
      ...base,
      type: 'OrderUpserted',
      orderId: order.id,
      ...(order.reference_id ? { orderNumber: order.reference_id } : {}),
      status,
      rawStatus: { state: order.state },
      createdAt: order.created_at,
      version: { at: order.updated_at, seq: order.version },
      // hashed with the hub's customer salt before it is stored (shared/domain/customer-hash.ts)
      ...(order.customer_id ? { customerRef: `id:${order.customer_id}` } : {}),
      ...(order.total_money
        ? {
            total: {
              amount: fromMinor(order.total_money.amount, order.total_money.currency),
              currency: order.total_money.currency,
            },
          }
        : {}),
      lines,
      locationId: order.location_id,
      ...(status === 'fulfilled' ? { fulfilledAt: order.closed_at ?? order.updated_at } : {}),
      ...(status === 'cancelled' ? { cancelledAt: order.closed_at ?? order.updated_at } : {}),
    },
  ];
  if (status === 'cancelled') {
    events.push({
      ...base,
      type: 'OrderCancelled',
      orderId: order.id,
      cancelledAt: order.closed_at ?? order.updated_at,
    });
  }
  return events;
}
