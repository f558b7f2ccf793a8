import { z } from 'zod';
import type {
  CanonicalEvent,
  FulfillmentRecorded,
  HydrationPending,
  ListingMapped,
  OrderLine,
  OrderStatus,
  OrderUpserted,
  RefundRecorded,
  SalesCycleRecorded,
} from '#shared/domain/events.ts';
import type { Delivery } from '#shared/domain/delivery.ts';
import { AdapterError } from '#shared/adapters/types.ts';
import {
  defineAdapter,
  eventBase,
  header,
  idText,
  ignoredEvent,
  isoTime,
  latest,
  parseJson,
  parseWith,
  present,
  unknownEvent,
} from '#shared/adapters/common.ts';
import { currencyCode, decimalString, sumDecimals } from '#shared/adapters/money.ts';

/**
 * Shopify REST webhooks (docs/webhook-sources.md). The topic comes from `X-Shopify-Topic`; "Events"
 * webhooks send the same value without the `x-` prefix. Payloads are the REST Admin resources
 * (2025-07: order, refund, inventory_level, product).
 *
 * Id conventions (shared with the other adapters): `inventoryItemId` and a line's
 * `externalItemId` are written exactly as the `externalId` of the ListingMapped events that
 * products/update emits — `inventory_item:<id>` and `variant:<id>` — so the SKU join is a plain
 * lookup within the channel.
 */

const addressSchema = z.looseObject({ country_code: z.string().nullish() }).nullish();

// sku, variant_id and product_id are null on custom (non-catalog) lines and in the test
// notifications; fulfillment_status is null until a fulfilment touches the line
const lineItemSchema = z.looseObject({
  id: idText,
  sku: z.string().nullish(),
  quantity: z.number().int().nonnegative(),
  price: decimalString,
  variant_id: idText.nullish(),
  product_id: idText.nullish(),
  fulfillable_quantity: z.number().int().nonnegative().nullish(),
  // the quantity after removals by edits and refunds (REST Admin API 2024-01 on; absent before)
  current_quantity: z.number().int().nonnegative().nullish(),
  fulfillment_status: z.string().nullish(),
});

// the order's refunds as the REST Order resource lists them: which units of a line went back, and how
const orderRefundSchema = z.looseObject({
  refund_line_items: z
    .array(
      z.looseObject({
        line_item_id: idText,
        quantity: z.number().int().nonnegative(),
        restock_type: z.string().nullish(),
      }),
    )
    .nullish(),
});

const fulfillmentSchema = z.looseObject({
  id: idText.nullish(),
  created_at: isoTime,
  status: z.string().nullish(),
  line_items: z.array(z.looseObject({ id: idText, quantity: z.number().int().nonnegative() })).nullish(),
});

const orderSchema = z.looseObject({
  id: idText,
  name: z.string().nullish(),
  order_number: idText.nullish(),
  financial_status: z.string().nullish(),
  fulfillment_status: z.string().nullish(),
  cancelled_at: isoTime.nullish(),
  cancel_reason: z.string().nullish(),
  created_at: isoTime,
  updated_at: isoTime,
  currency: currencyCode,
  total_price: decimalString.nullish(),
  current_total_price: decimalString.nullish(),
  line_items: z.array(lineItemSchema),
  location_id: idText.nullish(),
  shipping_address: addressSchema,
  billing_address: addressSchema,
  fulfillments: z.array(fulfillmentSchema).nullish(),
  refunds: z.array(orderRefundSchema).nullish(),
  // absent or null on guest checkouts and POS sales without a customer
  customer: z.looseObject({ id: idText.nullish() }).nullish(),
});
type ShopifyOrder = z.output<typeof orderSchema>;

const refundSchema = z.looseObject({
  id: idText,
  order_id: idText,
  // both null in Shopify's refunds/create test notification
  created_at: isoTime.nullish(),
  processed_at: isoTime.nullish(),
  refund_line_items: z
    .array(
      z.looseObject({
        line_item_id: idText,
        quantity: z.number().int().nonnegative(),
        restock_type: z.string().nullish(),
        location_id: idText.nullish(),
        line_item: z.looseObject({ sku: z.string().nullish() }).nullish(),
      }),
    )
    .default([]),
  transactions: z
    .array(
      z.looseObject({
        amount: decimalString,
        currency: currencyCode.nullish(),
        kind: z.string(),
        status: z.string().nullish(),
      }),
    )
    .default([]),
});

/** REST Fulfillment resource: the body of fulfillments/create and fulfillments/update. */
const fulfillmentTopicSchema = z.looseObject({
  id: idText,
  order_id: idText,
  status: z.string().nullish(),
  created_at: isoTime,
  updated_at: isoTime.nullish(),
  location_id: idText.nullish(),
  line_items: z.array(z.looseObject({ id: idText, quantity: z.number().int().nonnegative() })),
});

/** orders/edited: the edit, not the order — line ids and quantity deltas, no line or order state. */
const orderEditSchema = z.looseObject({
  order_edit: z.looseObject({
    id: idText,
    order_id: idText,
    created_at: isoTime,
  }),
});

const inventoryLevelSchema = z.looseObject({
  inventory_item_id: idText,
  location_id: idText,
  // null when the item's inventory is not tracked (REST inventory_level docs)
  available: z.number().int().nullable(),
  updated_at: isoTime,
});

const productSchema = z.looseObject({
  id: idText,
  updated_at: isoTime,
  variants: z.array(
    z.looseObject({
      id: idText,
      sku: z.string().nullish(),
      inventory_item_id: idText.nullish(),
      updated_at: isoTime.nullish(),
    }),
  ),
});

/**
 * Topics a merchant commonly subscribes to that carry nothing the hub applies: acknowledged as
 * ignored (counted per topic), not quarantined. Topics not listed here and not handled stay
 * unknown-event, so a new topic that might carry stock is looked at rather than dropped.
 */
const IGNORED_TOPICS: readonly [prefix: string, why: string][] = [
  ['orders/delete', 'only cancelled or archived orders can be deleted, and their effect is already applied'],
  ['customers/', 'customer records carry no stock or order data'],
  ['customers_marketing_consent/', 'customer records carry no stock or order data'],
  ['customers_email_marketing_consent/', 'customer records carry no stock or order data'],
  ['checkouts/', 'a checkout holds no stock until it becomes an order'],
  ['carts/', 'a cart holds no stock until it becomes an order'],
  ['draft_orders/', 'a draft order holds no stock until it becomes an order'],
  ['order_transactions/', 'payments reach the hub through the order and refund topics'],
  ['tender_transactions/', 'payments reach the hub through the order and refund topics'],
  ['fulfillment_events/', 'carrier tracking updates do not change what was shipped'],
  ['collections/', 'catalog grouping carries no SKU mapping'],
  ['themes/', 'storefront themes carry no stock or order data'],
  ['app/', 'app lifecycle is handled by the connection, not by deliveries'],
  ['shop/', 'shop settings carry no stock or order data'],
];

const ORDER_TOPICS = new Set([
  'orders/create',
  'orders/updated',
  'orders/paid',
  'orders/fulfilled',
  'orders/cancelled',
  'orders/partially_fulfilled',
]);

/**
 * Canonical status from Shopify's two status fields plus `cancelled_at`, most decisive first:
 * a cancellation ends the order; a full refund too; otherwise the fulfillment state is what
 * inventory cares about (a fulfilled order that was later partly refunded is still fulfilled — the
 * money side travels in RefundRecorded); then the payment state.
 */
export function shopifyOrderStatus(order: {
  financial_status?: string | null;
  fulfillment_status?: string | null;
  cancelled_at?: string | null;
}): OrderStatus {
  if (order.cancelled_at) return 'cancelled';
  if (order.financial_status === 'refunded') return 'refunded';
  if (order.fulfillment_status === 'fulfilled') return 'fulfilled';
  if (order.fulfillment_status === 'partial') return 'partially_fulfilled';
  switch (order.financial_status) {
    case 'partially_refunded':
      return 'partially_refunded';
    case 'paid':
      return 'paid';
    // payment secured but not captured: merchants fulfil authorized orders
    case 'authorized':
      return 'processing';
    case 'pending':
    case 'partially_paid':
      return 'pending_payment';
    // a voided or expired authorization means the order will not be paid
    case 'voided':
    case 'expired':
      return 'failed';
    default:
      return 'unknown';
  }
}

/** Fulfilment statuses whose units did not (or no longer) leave the shop. */
const NOT_SHIPPED = new Set(['cancelled', 'error', 'failure']);

/**
 * Units of each line already shipped, for an order not fulfilled as a whole. The order's
 * fulfilments name their lines and quantities (REST `fulfillments[].line_items`), which is exact;
 * without them, a line marked `fulfilled` shipped in full, and a `partial` line shipped what is no
 * longer fulfillable (an estimate: refunds and edits lower fulfillable_quantity too).
 */
function shippedByLine(order: ShopifyOrder): Map<string, { qty: number; at?: string }> {
  const shipped = new Map<string, { qty: number; at?: string }>();
  const listed = new Set<string>();
  for (const f of order.fulfillments ?? []) {
    for (const l of f.line_items ?? []) {
      listed.add(l.id);
      if (NOT_SHIPPED.has(f.status ?? '')) continue;
      const prev = shipped.get(l.id);
      shipped.set(l.id, {
        qty: (prev?.qty ?? 0) + l.quantity,
        at: latest([...(prev?.at ? [prev.at] : []), f.created_at]),
      });
    }
  }
  for (const item of order.line_items) {
    if (listed.has(item.id)) continue;
    if (item.fulfillment_status === 'fulfilled') shipped.set(item.id, { qty: item.quantity });
    else if (item.fulfillment_status === 'partial' && item.fulfillable_quantity != null) {
      shipped.set(item.id, { qty: Math.max(0, item.quantity - item.fulfillable_quantity) });
    }
  }
  return shipped;
}

/**
 * Units of each line taken off before they shipped: those an edit removed (the quantity less its
 * `current_quantity` less every unit its refunds name) plus those a refund cancelled
 * (`restock_type: cancel`, which Shopify uses for units not yet fulfilled). A refund of shipped
 * units (`return`, `no_restock`) lowers `current_quantity` too but removes nothing still held.
 */
function removedByLine(order: ShopifyOrder): Map<string, number> {
  const refunded = new Map<string, number>();
  const cancelled = new Map<string, number>();
  for (const r of order.refunds ?? []) {
    for (const l of r.refund_line_items ?? []) {
      refunded.set(l.line_item_id, (refunded.get(l.line_item_id) ?? 0) + l.quantity);
      if (l.restock_type === 'cancel') cancelled.set(l.line_item_id, (cancelled.get(l.line_item_id) ?? 0) + l.quantity);
    }
  }
  const out = new Map<string, number>();
  for (const item of order.line_items) {
    const byEdits =
      item.current_quantity == null
        ? 0
        : Math.max(0, item.quantity - item.current_quantity - (refunded.get(item.id) ?? 0));
    const removed = Math.min(item.quantity, byEdits + (cancelled.get(item.id) ?? 0));
    if (removed > 0) out.set(item.id, removed);
  }
  return out;
}

function orderLines(order: ShopifyOrder): OrderLine[] {
  // a fulfilled order ships every line in full (fulfilledAt): per-line counts are for the rest
  const shipped =
    order.fulfillment_status === 'fulfilled' ? new Map<string, { qty: number; at?: string }>() : shippedByLine(order);
  const removed = removedByLine(order);
  return order.line_items.map((item) => {
    const line: OrderLine = {
      lineId: item.id,
      quantity: item.quantity,
      unitPrice: { amount: item.price, currency: order.currency },
    };
    const lineShipped = shipped.get(item.id);
    const shippedQuantity = Math.min(lineShipped?.qty ?? 0, item.quantity);
    if (shippedQuantity > 0) {
      line.shippedQuantity = shippedQuantity;
      if (lineShipped?.at) line.shippedAt = lineShipped.at;
    }
    const removedQuantity = removed.get(item.id);
    if (removedQuantity) line.removedQuantity = removedQuantity;
    const sku = present(item.sku);
    if (sku) line.sku = sku;
    // custom (non-catalog) line items have no variant
    if (item.variant_id) line.externalItemId = `variant:${item.variant_id}`;
    if (item.product_id) line.productId = item.product_id;
    return line;
  });
}

function mapOrder(delivery: Delivery, topic: string, body: unknown): CanonicalEvent[] {
  const order = parseWith(orderSchema, body, `shopify ${topic}`);
  const base = eventBase(delivery, order.updated_at);
  const rawStatus: Record<string, string> = {};
  if (order.financial_status) rawStatus.financial_status = order.financial_status;
  if (order.fulfillment_status) rawStatus.fulfillment_status = order.fulfillment_status;
  if (order.cancelled_at) rawStatus.cancelled = 'true';

  const upserted: OrderUpserted = {
    ...base,
    type: 'OrderUpserted',
    orderId: order.id,
    status: shopifyOrderStatus(order),
    rawStatus,
    createdAt: order.created_at,
    version: { at: order.updated_at },
    lines: orderLines(order),
  };
  const orderNumber = present(order.name) ?? order.order_number ?? undefined;
  if (orderNumber) upserted.orderNumber = orderNumber;
  // Gross revenue is total_price: the total after edits, before returns and refunds. Refunds are
  // counted from refunds/create; current_total_price already has them taken off, so using it
  // would subtract a refund twice once an orders/updated follows the refund.
  const total = order.total_price ?? order.current_total_price;
  if (total) upserted.total = { amount: total, currency: order.currency };
  if (order.location_id) upserted.locationId = order.location_id;
  const country = present(order.shipping_address?.country_code) ?? present(order.billing_address?.country_code);
  if (country) upserted.shipToCountry = country;
  if (order.fulfillment_status === 'fulfilled') {
    const shipped = (order.fulfillments ?? []).filter((f) => !NOT_SHIPPED.has(f.status ?? '')).map((f) => f.created_at);
    upserted.fulfilledAt = latest(shipped) ?? order.updated_at;
  }
  if (order.cancelled_at) upserted.cancelledAt = order.cancelled_at;
  if (order.customer?.id) upserted.customerRef = `id:${order.customer.id}`;

  const events: CanonicalEvent[] = [upserted];
  // The HMAC covers the body, not the X-Shopify-Topic header: a captured body re-sent under
  // orders/cancelled must not cancel an order for good. Only what the signed body says counts.
  if (topic === 'orders/cancelled' && order.cancelled_at) {
    events.push({
      ...base,
      type: 'OrderCancelled',
      orderId: order.id,
      cancelledAt: order.cancelled_at,
      ...(present(order.cancel_reason) ? { reason: order.cancel_reason! } : {}),
    });
  }
  return events;
}

function mapRefund(delivery: Delivery, body: unknown): CanonicalEvent[] {
  const refund = parseWith(refundSchema, body, 'shopify refunds/create');
  // only money that actually went back: kind refund, status success (failed/pending attempts are listed too)
  const paid = refund.transactions.filter((t) => t.kind === 'refund' && t.status === 'success');
  const currencies = new Set(paid.map((t) => t.currency).filter((c): c is string => Boolean(c)));
  if (currencies.size > 1) {
    throw new AdapterError(
      'schema',
      `shopify refunds/create: transactions: refunds in several currencies (${[...currencies].join(', ')})`,
    );
  }
  const [currency] = currencies;
  // Shopify's test notification has neither time: the delivery's received time stands in
  const at = refund.processed_at ?? refund.created_at ?? delivery.receivedAt;
  const event: RefundRecorded = {
    ...eventBase(delivery, refund.created_at ?? at),
    type: 'RefundRecorded',
    orderId: refund.order_id,
    refundId: refund.id,
    processedAt: at,
    lines: refund.refund_line_items.map((item) => {
      const sku = present(item.line_item?.sku);
      return {
        lineId: item.line_item_id,
        quantity: item.quantity,
        // restock_type: no_restock | cancel | return | legacy_restock. `cancel` is for units not yet
        // fulfilled: they never left, so nothing goes back on hand, and the order stops holding them
        restock: item.restock_type != null && item.restock_type !== 'no_restock' && item.restock_type !== 'cancel',
        ...(item.restock_type === 'cancel' ? { unshipped: true } : {}),
        ...(sku ? { sku } : {}),
        ...(item.location_id ? { locationId: item.location_id } : {}),
      };
    }),
  };
  if (paid.length > 0) {
    if (!currency)
      throw new AdapterError('schema', 'shopify refunds/create: transactions[].currency: required field is missing');
    event.amount = { amount: sumDecimals(paid.map((t) => t.amount)), currency };
  }
  return [event];
}

function mapFulfillment(delivery: Delivery, topic: string, body: unknown): CanonicalEvent[] {
  const f = parseWith(fulfillmentTopicSchema, body, `shopify ${topic}`);
  const version = f.updated_at ?? f.created_at;
  const event: FulfillmentRecorded = {
    ...eventBase(delivery, version),
    type: 'FulfillmentRecorded',
    orderId: f.order_id,
    fulfillmentId: f.id,
    shipped: !NOT_SHIPPED.has(f.status ?? ''),
    at: f.created_at,
    version: { at: version },
    lines: f.line_items.map((l) => ({ lineId: l.id, quantity: l.quantity })),
  };
  return [event];
}

/**
 * An order edit names the changed lines by id with a delta, not their quantities, so it cannot
 * restate the order; it marks the order for a fetch, and the orders/updated that follows every
 * edit carries the edited order.
 */
function mapOrderEdit(delivery: Delivery, body: unknown): CanonicalEvent[] {
  const { order_edit: edit } = parseWith(orderEditSchema, body, 'shopify orders/edited');
  const event: HydrationPending = {
    ...eventBase(delivery, edit.created_at),
    type: 'HydrationPending',
    entity: 'order',
    externalId: edit.order_id,
    version: { at: edit.created_at },
    detail: { topic: 'orders/edited', orderEditId: edit.id },
  };
  return [event];
}

function mapInventoryLevel(delivery: Delivery, body: unknown): CanonicalEvent[] {
  const level = parseWith(inventoryLevelSchema, body, 'shopify inventory_levels/update');
  // an untracked item has no count to record
  if (level.available === null) return [];
  return [
    {
      ...eventBase(delivery, level.updated_at),
      type: 'StockLevelSet',
      inventoryItemId: `inventory_item:${level.inventory_item_id}`,
      locationId: level.location_id,
      quantity: level.available,
      bucket: 'available',
      asOf: level.updated_at,
    },
  ];
}

function mapProduct(delivery: Delivery, topic: string, body: unknown): CanonicalEvent[] {
  const product = parseWith(productSchema, body, `shopify ${topic}`);
  const base = eventBase(delivery, product.updated_at);
  const events: ListingMapped[] = [];
  for (const variant of product.variants) {
    const sku = present(variant.sku);
    if (!sku) continue;
    const at = variant.updated_at ?? product.updated_at;
    if (variant.inventory_item_id) {
      events.push({
        ...base,
        type: 'ListingMapped',
        externalId: `inventory_item:${variant.inventory_item_id}`,
        sku,
        at,
      });
    }
    events.push({ ...base, type: 'ListingMapped', externalId: `variant:${variant.id}`, sku, at });
  }
  return events;
}

// The REST DraftOrder resource, as draft_orders/create and draft_orders/update send it: only what
// the sales cycle needs (docs/senders.md)
const draftOrderSchema = z.looseObject({
  id: idText,
  status: z.string(),
  created_at: isoTime,
  updated_at: isoTime,
  // null until the draft is completed into an order
  completed_at: isoTime.nullish(),
  order_id: idText.nullish(),
});

const DRAFT_TOPICS = new Set(['draft_orders/create', 'draft_orders/update']);

/**
 * A completed draft order gives a sales cycle: created_at (the quote) → completed_at (the order
 * placed, as completing a draft creates its order). An open draft or one whose invoice was sent
 * holds no stock and has not become a sale: acknowledged as ignored, like other draft topics.
 */
function mapDraftOrder(delivery: Delivery, topic: string, body: unknown): CanonicalEvent[] {
  const draft = parseWith(draftOrderSchema, body, `shopify ${topic}`);
  if (draft.status !== 'completed' || !draft.completed_at)
    throw ignoredEvent('shopify', topic, `a draft order that is ${draft.status}, not completed, is not a sale yet`);
  const event: SalesCycleRecorded = {
    ...eventBase(delivery, draft.updated_at),
    type: 'SalesCycleRecorded',
    draftId: draft.id,
    startedAt: draft.created_at,
    endedAt: draft.completed_at,
  };
  if (draft.order_id) event.orderId = draft.order_id;
  return [event];
}

export const shopifyAdapter = defineAdapter('shopify', ({ delivery, body }) => {
  const topic = header(delivery, 'x-shopify-topic', 'shopify-topic');
  if (!topic) throw new AdapterError('unknown-event', 'shopify: no x-shopify-topic header on the delivery');
  const handled =
    ORDER_TOPICS.has(topic) ||
    topic === 'refunds/create' ||
    topic === 'inventory_levels/update' ||
    topic === 'products/update' ||
    topic === 'products/create' ||
    topic === 'fulfillments/create' ||
    topic === 'fulfillments/update' ||
    topic === 'orders/edited' ||
    DRAFT_TOPICS.has(topic);
  if (!handled) {
    const ignored = IGNORED_TOPICS.find(
      ([prefix]) => topic === prefix || (prefix.endsWith('/') && topic.startsWith(prefix)),
    );
    if (ignored) throw ignoredEvent('shopify', topic, ignored[1]);
    throw unknownEvent('shopify', topic);
  }
  const json = parseJson(body);
  if (ORDER_TOPICS.has(topic)) return mapOrder(delivery, topic, json);
  if (topic === 'refunds/create') return mapRefund(delivery, json);
  if (topic === 'inventory_levels/update') return mapInventoryLevel(delivery, json);
  if (topic === 'fulfillments/create' || topic === 'fulfillments/update') return mapFulfillment(delivery, topic, json);
  if (topic === 'orders/edited') return mapOrderEdit(delivery, json);
  if (DRAFT_TOPICS.has(topic)) return mapDraftOrder(delivery, topic, json);
  return mapProduct(delivery, topic, json);
});
