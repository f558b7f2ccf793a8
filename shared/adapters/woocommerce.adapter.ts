import { z } from 'zod';
import type { CanonicalEvent, OrderLine, OrderStatus, OrderUpserted } from '#shared/domain/events.ts';
import type { Delivery } from '#shared/domain/delivery.ts';
import { AdapterError } from '#shared/adapters/types.ts';
import {
  defineAdapter,
  eventBase,
  header,
  idText,
  ignoredEvent,
  parseJson,
  parseWith,
  present,
  unknownEvent,
  utcTime,
} from '#shared/adapters/common.ts';
import { absDecimal, currencyCode, decimalLike, decimalString } from '#shared/adapters/money.ts';

/**
 * WooCommerce webhooks (docs/webhook-sources.md). The topic is `X-WC-Webhook-Topic` ("order.updated");
 * the body is the REST v3 resource **built at delivery time**, so it shows the current state and
 * `date_modified_gmt` is the staleness key. WooCommerce does not retry, so a delivery that cannot
 * be mapped is the only copy: it is quarantined, never dropped.
 *
 * `*_gmt` times are UTC without an offset (`Z` is appended). Listing ids are `product:<id>` for
 * a simple product and `variation:<id>` for a variation (REST v3 `variation_id`); product.updated
 * of a variation maps both. A line without a SKU (WooCommerce sends `"sku": ""`, as in the REST
 * docs' order example for product 93) is resolved through those listing ids like Shopify's
 * variant ids; one that cannot be resolved is kept on the order as unmapped, moving no stock.
 */

const addressSchema = z.looseObject({ country: z.string().nullish() }).nullish();

const orderSchema = z.looseObject({
  id: idText,
  number: idText.nullish(),
  status: z.string().min(1),
  currency: currencyCode,
  total: decimalString,
  date_created_gmt: utcTime,
  date_modified_gmt: utcTime,
  date_completed_gmt: utcTime.nullish(),
  line_items: z.array(
    z.looseObject({
      id: idText,
      sku: z.string().nullish(),
      quantity: z.number().int().nonnegative(),
      // REST v3 types line `price` as a JSON number (subtotal/total are strings)
      price: decimalLike,
      product_id: idText.nullish(),
      variation_id: idText.nullish(),
    }),
  ),
  refunds: z.array(z.looseObject({ id: idText, total: decimalLike })).nullish(),
  // customer_id 0 is a guest checkout: the billing email is then the only customer identity
  customer_id: idText.nullish(),
  billing: z.looseObject({ country: z.string().nullish(), email: z.string().nullish() }).nullish(),
  shipping: addressSchema,
});

const productSchema = z.looseObject({
  id: idText,
  // "variation" (with its parent's id) when product.updated is about a variation
  type: z.string().nullish(),
  parent_id: idText.nullish(),
  sku: z.string().nullish(),
  // boolean on products; the string "parent" on variations whose stock the parent manages
  manage_stock: z.union([z.boolean(), z.string()]).nullish(),
  stock_quantity: z.number().int().nullish(),
  date_modified_gmt: utcTime,
});

/** WooCommerce core order statuses (REST v3 `status` enum); plugin statuses map to unknown. */
const STATUS: Record<string, OrderStatus> = {
  pending: 'pending_payment',
  // processing = payment received, awaiting fulfilment
  processing: 'processing',
  'on-hold': 'on_hold',
  completed: 'fulfilled',
  cancelled: 'cancelled',
  refunded: 'refunded',
  failed: 'failed',
  trash: 'cancelled',
};

export function wooOrderStatus(status: string): OrderStatus {
  return STATUS[status] ?? 'unknown';
}

function mapOrder(delivery: Delivery, topic: string, body: unknown): CanonicalEvent[] {
  const order = parseWith(orderSchema, body, `woocommerce ${topic}`);
  const modifiedAt = order.date_modified_gmt;
  const base = eventBase(delivery, modifiedAt);
  const status = wooOrderStatus(order.status);

  const lines = order.line_items.map((item): OrderLine => {
    const line: OrderLine = {
      lineId: item.id,
      quantity: item.quantity,
      unitPrice: { amount: item.price, currency: order.currency },
    };
    const sku = present(item.sku);
    if (sku) line.sku = sku;
    // 0 means "none" in WooCommerce ids (simple products have variation_id 0; deleted products product_id 0)
    if (item.variation_id && item.variation_id !== '0') line.externalItemId = `variation:${item.variation_id}`;
    else if (item.product_id && item.product_id !== '0') line.externalItemId = `product:${item.product_id}`;
    // a variation's product_id is its parent product: the variations of one product share it
    if (item.product_id && item.product_id !== '0') line.productId = item.product_id;
    return line;
  });

  const upserted: OrderUpserted = {
    ...base,
    type: 'OrderUpserted',
    orderId: order.id,
    status,
    rawStatus: { status: order.status },
    createdAt: order.date_created_gmt,
    version: { at: modifiedAt },
    total: { amount: order.total, currency: order.currency },
    lines,
  };
  if (order.number) upserted.orderNumber = order.number;
  const country = present(order.shipping?.country) ?? present(order.billing?.country);
  if (country) upserted.shipToCountry = country;
  // a completed order that is refunded later keeps date_completed_gmt: it still shipped, and
  // dropping fulfilledAt would put its units back on hand as if they had never left
  if (status === 'fulfilled') upserted.fulfilledAt = order.date_completed_gmt ?? modifiedAt;
  else if (order.date_completed_gmt && status !== 'cancelled') upserted.fulfilledAt = order.date_completed_gmt;
  // WooCommerce records no cancellation time: the modification that carried the status is the best we have
  if (status === 'cancelled') upserted.cancelledAt = modifiedAt;
  const email = present(order.billing?.email)?.trim().toLowerCase();
  if (order.customer_id && order.customer_id !== '0') upserted.customerRef = `id:${order.customer_id}`;
  else if (email) upserted.customerRef = `email:${email}`;

  const events: CanonicalEvent[] = [upserted];
  if (status === 'cancelled') {
    events.push({
      ...base,
      type: 'OrderCancelled',
      orderId: order.id,
      cancelledAt: modifiedAt,
      ...(order.status === 'trash' ? { reason: 'trash' } : {}),
    });
  }
  // refunds arrive inside order.updated; each is re-sent on every later delivery, and the
  // refund id keeps its effect single. The refund objects carry no date or lines.
  for (const refund of order.refunds ?? []) {
    events.push({
      ...base,
      type: 'RefundRecorded',
      orderId: order.id,
      refundId: refund.id,
      amount: { amount: absDecimal(refund.total), currency: order.currency },
      processedAt: modifiedAt,
      lines: [],
    });
  }
  return events;
}

function mapProduct(delivery: Delivery, topic: string, body: unknown): CanonicalEvent[] {
  const product = parseWith(productSchema, body, `woocommerce ${topic}`);
  const sku = present(product.sku);
  if (!sku) return [];
  const base = eventBase(delivery, product.date_modified_gmt);
  const events: CanonicalEvent[] = [];
  const isVariation = product.type === 'variation' || (product.parent_id != null && product.parent_id !== '0');
  if (product.manage_stock === true && product.stock_quantity != null) {
    events.push({
      ...base,
      type: 'StockLevelSet',
      sku,
      // the listing the level is of: the echo check compares it with what the hub pushed there
      inventoryItemId: isVariation ? `variation:${product.id}` : `product:${product.id}`,
      // core WooCommerce keeps a single stock figure per product
      locationId: 'default',
      quantity: product.stock_quantity,
      bucket: 'on_hand',
      asOf: product.date_modified_gmt,
    });
  }
  events.push({
    ...base,
    type: 'ListingMapped',
    externalId: `product:${product.id}`,
    sku,
    at: product.date_modified_gmt,
  });
  if (isVariation)
    events.push({
      ...base,
      type: 'ListingMapped',
      externalId: `variation:${product.id}`,
      sku,
      at: product.date_modified_gmt,
    });
  return events;
}

export const woocommerceAdapter = defineAdapter('woocommerce', ({ delivery, body }) => {
  const resource = header(delivery, 'x-wc-webhook-resource');
  const event = header(delivery, 'x-wc-webhook-event');
  const topic = header(delivery, 'x-wc-webhook-topic') ?? (resource && event ? `${resource}.${event}` : undefined);
  if (!topic) throw new AdapterError('unknown-event', 'woocommerce: no x-wc-webhook-topic header on the delivery');
  switch (topic) {
    case 'order.created':
    case 'order.updated':
      return mapOrder(delivery, topic, parseJson(body));
    case 'product.created':
    case 'product.updated':
      return mapProduct(delivery, topic, parseJson(body));
    default:
      // coupons, customers and plugin actions carry no stock or order data: acknowledged, not quarantined
      if (/^(coupon|customer|action)\./.test(topic))
        throw ignoredEvent('woocommerce', topic, 'coupons, customers and actions carry no stock or order data');
      // order.deleted / product.deleted carry only an id: quarantined so someone looks
      throw unknownEvent('woocommerce', topic);
  }
});
