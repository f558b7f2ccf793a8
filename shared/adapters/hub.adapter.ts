import { z } from 'zod';
import {
  CountedOnHandSchema,
  OrderStatusSchema,
  type CanonicalEvent,
  type OrderUpserted,
} from '#shared/domain/events.ts';
import type { Delivery } from '#shared/domain/delivery.ts';
import {
  defineAdapter,
  eventBase,
  idText,
  isoTime,
  parseJson,
  parseWith,
  unknownEvent,
} from '#shared/adapters/common.ts';
import { currencyCode, decimalString } from '#shared/adapters/money.ts';

/**
 * The hub's own webhook format for partner shops and warehouse systems (source
 * `standard-webhooks`), documented with examples in docs/hub-format.md. The envelope
 * follows the Standard Webhooks payload convention `{type, timestamp, data}`; `timestamp` is the
 * event time (the spec: not the attempt time), and it is the default for every optional time below.
 */

const envelopeSchema = z.looseObject({
  type: z.string().min(1),
  timestamp: isoTime,
  data: z.looseObject({}),
});

const text = z.string().min(1);

const stockCountSchema = z.looseObject({
  sku: text,
  location: text,
  onHand: CountedOnHandSchema,
  asOf: isoTime.optional(),
});
/**
 * Counts in one bulk `stock.set`, as in one `POST /v1/stock/counts`: a delivery is applied in one
 * invocation, so a bigger bulk must be split by the sender (a larger one is quarantined, `schema`).
 */
export const MAX_BULK_COUNTS = 1000;
const stockSetBulkSchema = z.looseObject({
  counts: z.array(stockCountSchema).min(1).max(MAX_BULK_COUNTS),
  asOf: isoTime.optional(),
});

const stockAdjustedSchema = z.looseObject({
  sku: text,
  location: text,
  delta: z.number().int(),
  reason: z.enum(['order', 'refund', 'manual', 'receipt', 'damage', 'transfer', 'other']),
  idempotencyKey: text,
  at: isoTime.optional(),
});

const orderUpsertedSchema = z.looseObject({
  orderId: idText,
  orderNumber: idText.optional(),
  status: OrderStatusSchema,
  createdAt: isoTime,
  updatedAt: isoTime,
  version: z.number().int().nonnegative().optional(),
  /** the partner's own customer id (hashed with the hub's salt before storage) */
  customerId: idText.optional(),
  /** when the quote the order came from was made (sales-cycle start) */
  quotedAt: isoTime.optional(),
  currency: currencyCode,
  total: decimalString.optional(),
  lines: z.array(
    z
      .looseObject({
        lineId: idText.optional(),
        sku: text.optional(),
        /** the sender's own item id when it has no SKU for the line: joined through listing.mapped */
        listingId: idText.optional(),
        /** the partner's product the line's SKU is a variant of (upsell rate) */
        productId: idText.optional(),
        quantity: z.number().int().nonnegative(),
        unitPrice: decimalString,
        locationId: text.optional(),
        /** units of the line already shipped while the order is not fulfilled as a whole */
        shipped: z.number().int().nonnegative().optional(),
        shippedAt: isoTime.optional(),
      })
      .superRefine((l, ctx) => {
        if (l.sku === undefined && l.listingId === undefined)
          ctx.addIssue({ code: 'custom', path: ['sku'], message: 'a line names its sku or its listingId' });
        if (l.shipped !== undefined && l.shipped > l.quantity)
          ctx.addIssue({ code: 'custom', path: ['shipped'], message: 'more units shipped than the line has' });
      }),
  ),
  locationId: text.optional(),
  shipToCountry: text.optional(),
  fulfilledAt: isoTime.optional(),
  cancelledAt: isoTime.optional(),
});

const orderCancelledSchema = z.looseObject({
  orderId: idText,
  cancelledAt: isoTime,
  reason: z.string().optional(),
  lineIds: z.array(idText).min(1).optional(),
});

const refundRecordedSchema = z.looseObject({
  orderId: idText,
  refundId: idText,
  amount: decimalString,
  currency: currencyCode,
  processedAt: isoTime,
  lines: z
    .array(
      z.looseObject({
        lineId: idText.optional(),
        sku: text.optional(),
        quantity: z.number().int().nonnegative(),
        restock: z.boolean().default(false),
        locationId: text.optional(),
      }),
    )
    .default([]),
});

const fulfillmentRecordedSchema = z.looseObject({
  orderId: idText,
  fulfillmentId: idText,
  /** `cancelled`: the shipment did not leave (its units stay reserved), whatever an earlier version said */
  status: z.enum(['shipped', 'cancelled']),
  at: isoTime.optional(),
  updatedAt: isoTime.optional(),
  version: z.number().int().nonnegative().optional(),
  lines: z.array(z.looseObject({ lineId: idText, quantity: z.number().int().nonnegative() })).min(1),
});

const listingMappedSchema = z.looseObject({ externalId: text, sku: text, at: isoTime.optional() });

type Envelope = z.output<typeof envelopeSchema>;

function stockSet(delivery: Delivery, env: Envelope): CanonicalEvent[] {
  const base = eventBase(delivery, env.timestamp);
  if ('counts' in env.data) {
    const bulk = parseWith(stockSetBulkSchema, env.data, 'hub stock.set', ['data']);
    return bulk.counts.map((c) => ({
      ...base,
      type: 'StockLevelSet',
      sku: c.sku,
      locationId: c.location,
      quantity: c.onHand,
      bucket: 'on_hand',
      asOf: c.asOf ?? bulk.asOf ?? env.timestamp,
    }));
  }
  const c = parseWith(stockCountSchema, env.data, 'hub stock.set', ['data']);
  return [
    {
      ...base,
      type: 'StockLevelSet',
      sku: c.sku,
      locationId: c.location,
      quantity: c.onHand,
      bucket: 'on_hand',
      asOf: c.asOf ?? env.timestamp,
    },
  ];
}

function orderUpserted(delivery: Delivery, env: Envelope): CanonicalEvent[] {
  const o = parseWith(orderUpsertedSchema, env.data, 'hub order.upserted', ['data']);
  const event: OrderUpserted = {
    ...eventBase(delivery, env.timestamp),
    type: 'OrderUpserted',
    orderId: o.orderId,
    status: o.status,
    rawStatus: { status: o.status },
    createdAt: o.createdAt,
    version: o.version === undefined ? { at: o.updatedAt } : { at: o.updatedAt, seq: o.version },
    lines: o.lines.map((l) => ({
      ...(l.sku !== undefined ? { sku: l.sku } : { externalItemId: l.listingId! }),
      quantity: l.quantity,
      unitPrice: { amount: l.unitPrice, currency: o.currency },
      ...(l.lineId ? { lineId: l.lineId } : {}),
      ...(l.productId ? { productId: l.productId } : {}),
      ...(l.locationId ? { locationId: l.locationId } : {}),
      ...(l.shipped ? { shippedQuantity: l.shipped } : {}),
      ...(l.shipped && l.shippedAt ? { shippedAt: l.shippedAt } : {}),
    })),
  };
  if (o.orderNumber) event.orderNumber = o.orderNumber;
  if (o.total) event.total = { amount: o.total, currency: o.currency };
  if (o.locationId) event.locationId = o.locationId;
  if (o.shipToCountry) event.shipToCountry = o.shipToCountry;
  if (o.fulfilledAt) event.fulfilledAt = o.fulfilledAt;
  if (o.cancelledAt) event.cancelledAt = o.cancelledAt;
  if (o.customerId) event.customerRef = `id:${o.customerId}`;
  if (o.quotedAt) event.quotedAt = o.quotedAt;
  return [event];
}

export const hubAdapter = defineAdapter('hub', ({ delivery, body }) => {
  const json = parseJson(body);
  // the type decides what the rest must look like, so read it first: an unknown type is not a schema error
  const { type } = parseWith(z.looseObject({ type: z.string().min(1) }), json, 'hub event');
  const known = [
    'stock.set',
    'stock.adjusted',
    'order.upserted',
    'order.cancelled',
    'refund.recorded',
    'fulfillment.recorded',
    'listing.mapped',
  ];
  if (!known.includes(type)) throw unknownEvent('hub', type);
  const env = parseWith(envelopeSchema, json, `hub ${type}`);
  const base = eventBase(delivery, env.timestamp);

  switch (type) {
    case 'stock.set':
      return stockSet(delivery, env);
    case 'stock.adjusted': {
      const a = parseWith(stockAdjustedSchema, env.data, 'hub stock.adjusted', ['data']);
      return [
        {
          ...base,
          type: 'StockAdjusted',
          sku: a.sku,
          locationId: a.location,
          delta: a.delta,
          reason: a.reason,
          idempotencyKey: a.idempotencyKey,
          at: a.at ?? env.timestamp,
        },
      ];
    }
    case 'order.upserted':
      return orderUpserted(delivery, env);
    case 'order.cancelled': {
      const c = parseWith(orderCancelledSchema, env.data, 'hub order.cancelled', ['data']);
      return [
        {
          ...base,
          type: 'OrderCancelled',
          orderId: c.orderId,
          cancelledAt: c.cancelledAt,
          ...(c.reason ? { reason: c.reason } : {}),
          ...(c.lineIds ? { lineIds: c.lineIds } : {}),
        },
      ];
    }
    case 'refund.recorded': {
      const r = parseWith(refundRecordedSchema, env.data, 'hub refund.recorded', ['data']);
      return [
        {
          ...base,
          type: 'RefundRecorded',
          orderId: r.orderId,
          refundId: r.refundId,
          amount: { amount: r.amount, currency: r.currency },
          processedAt: r.processedAt,
          lines: r.lines.map((l) => ({
            quantity: l.quantity,
            restock: l.restock,
            ...(l.lineId ? { lineId: l.lineId } : {}),
            ...(l.sku ? { sku: l.sku } : {}),
            ...(l.locationId ? { locationId: l.locationId } : {}),
          })),
        },
      ];
    }
    case 'fulfillment.recorded': {
      const f = parseWith(fulfillmentRecordedSchema, env.data, 'hub fulfillment.recorded', ['data']);
      const updatedAt = f.updatedAt ?? env.timestamp;
      return [
        {
          ...base,
          type: 'FulfillmentRecorded',
          orderId: f.orderId,
          fulfillmentId: f.fulfillmentId,
          shipped: f.status === 'shipped',
          at: f.at ?? env.timestamp,
          version: f.version === undefined ? { at: updatedAt } : { at: updatedAt, seq: f.version },
          lines: f.lines.map((l) => ({ lineId: l.lineId, quantity: l.quantity })),
        },
      ];
    }
    default: {
      const m = parseWith(listingMappedSchema, env.data, 'hub listing.mapped', ['data']);
      return [{ ...base, type: 'ListingMapped', externalId: m.externalId, sku: m.sku, at: m.at ?? env.timestamp }];
    }
  }
});
