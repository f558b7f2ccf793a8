import { z } from 'zod';
import type { CanonicalEvent, OrderLine, OrderUpserted } from '#shared/domain/events.ts';
import type { Delivery } from '#shared/domain/delivery.ts';
import {
  defineAdapter,
  epochMillis,
  eventBase,
  idText,
  integerLike,
  latest,
  parseJson,
  parseWith,
  unknownEvent,
  utcTime,
} from '#shared/adapters/common.ts';

/**
 * Walmart Marketplace webhooks (docs/webhook-sources.md): `{source{eventType, eventTime, eventId},
 * payload}`. Two generations of order events are accepted:
 *  - legacy standalone events (PO_CREATED, PO_LINE_AUTOCANCELLED, INTENT_TO_CANCEL; removed by
 *    Walmart on 2026-12-15): the PO fields sit directly in `payload`;
 *  - ORDER_UPDATES: `payload.subEventType` (the docs' table also shows it under `payload.meta`)
 *    names the change and the PO sits in `payload.order`.
 * Walmart's order webhooks carry no prices, so orders have no total and lines no unit price.
 *
 * Shipping: Walmart documents no shipped sub-event yet (ORDER_UPDATES is "extensible"). The hub
 * reads `PO_LINE_SHIPPED` — the PO with its lines' current `status` — as the fulfilment signal:
 * every line SHIPPED/DELIVERED → fulfilled, some → partially_fulfilled.
 *
 * Line ids are Walmart's `lineNumber` ("1", "2", ...), unique within a purchase order.
 */

/** Walmart writes ISO 8601 UTC; the Orders API writes epoch milliseconds. Both are accepted. */
const walmartTime = z.union([utcTime, epochMillis]);

const envelopeSchema = z.looseObject({
  source: z.looseObject({
    eventType: z.string().min(1),
    eventTime: walmartTime,
    subEventType: z.string().optional(),
  }),
  payload: z.looseObject({
    subEventType: z.string().optional(),
    meta: z.looseObject({ subEventType: z.string().optional() }).nullish(),
    order: z.unknown().optional(),
  }),
});

const lineSchema = z.looseObject({
  lineNumber: idText,
  sku: z.string().min(1),
  quantity: z.looseObject({ measurementValue: integerLike.pipe(z.number().int().nonnegative()) }),
  status: z.string().nullish(),
  statusDate: walmartTime.nullish(),
  shipNode: z.unknown().optional(),
});

const purchaseOrderSchema = z.looseObject({
  purchaseOrderId: idText,
  customerOrderId: idText.nullish(),
  orderDate: walmartTime.nullish(),
  // the Orders API nests lines as {orderLine: [...]}; the webhooks send the list itself
  orderLines: z.preprocess(
    (v) =>
      v && typeof v === 'object' && !Array.isArray(v) && 'orderLine' in v ? (v as { orderLine: unknown }).orderLine : v,
    z.array(lineSchema).min(1),
  ),
});
type PurchaseOrder = z.output<typeof purchaseOrderSchema>;

const oosSchema = z.looseObject({
  sku: z.string().min(1),
  shipNodes: z.array(z.looseObject({ shipNode: idText, availToSellQty: integerLike })),
});

const CANCEL_EVENTS = new Set(['PO_LINE_AUTOCANCELLED', 'INTENT_TO_CANCEL', 'FRAUD_CANCEL']);
const SHIPPED = new Set(['SHIPPED', 'DELIVERED']);

function lines(po: PurchaseOrder): OrderLine[] {
  return po.orderLines.map((l) => ({
    lineId: l.lineNumber,
    sku: l.sku,
    quantity: l.quantity.measurementValue,
    // shipNode is a node id on seller-fulfilled lines; other shapes (objects) are not a location
    ...(typeof l.shipNode === 'string' && l.shipNode ? { locationId: l.shipNode } : {}),
  }));
}

function upserted(delivery: Delivery, po: PurchaseOrder, event: string, at: string): OrderUpserted {
  return {
    ...eventBase(delivery, at),
    type: 'OrderUpserted',
    orderId: po.purchaseOrderId,
    ...(po.customerOrderId ? { orderNumber: po.customerOrderId } : {}),
    status: 'processing',
    rawStatus: { event },
    createdAt: po.orderDate ?? at,
    version: { at },
    lines: lines(po),
  };
}

export const walmartAdapter = defineAdapter('walmart', ({ delivery, body }) => {
  const json = parseJson(body);
  const { source } = parseWith(
    z.looseObject({ source: z.looseObject({ eventType: z.string().min(1) }) }),
    json,
    'walmart event',
  );
  const outer = source.eventType;
  const handledOuter =
    outer === 'ORDER_UPDATES' ||
    outer === 'PO_CREATED' ||
    outer === 'PO_LINE_SHIPPED' ||
    outer === 'INVENTORY_OOS' ||
    CANCEL_EVENTS.has(outer);
  if (!handledOuter) throw unknownEvent('walmart', outer);

  const env = parseWith(envelopeSchema, json, `walmart ${outer}`);
  const at = env.source.eventTime;
  const base = eventBase(delivery, at);

  if (outer === 'INVENTORY_OOS') {
    const oos = parseWith(oosSchema, env.payload, 'walmart INVENTORY_OOS', ['payload']);
    return oos.shipNodes.map(
      (node): CanonicalEvent => ({
        ...base,
        type: 'StockLevelSet',
        sku: oos.sku,
        locationId: node.shipNode,
        quantity: node.availToSellQty,
        bucket: 'available',
        asOf: at,
      }),
    );
  }

  const event =
    outer === 'ORDER_UPDATES'
      ? (env.payload.subEventType ?? env.payload.meta?.subEventType ?? env.source.subEventType)
      : outer;
  if (!event || !(event === 'PO_CREATED' || event === 'PO_LINE_SHIPPED' || CANCEL_EVENTS.has(event))) {
    throw unknownEvent('walmart', `${outer}/${event ?? '(no subEventType)'}`);
  }
  const poAt = outer === 'ORDER_UPDATES' ? ['payload', 'order'] : ['payload'];
  const po = parseWith(
    purchaseOrderSchema,
    outer === 'ORDER_UPDATES' ? env.payload.order : env.payload,
    `walmart ${event}`,
    poAt,
  );

  if (event === 'PO_CREATED') return [upserted(delivery, po, event, at)];

  if (event === 'PO_LINE_SHIPPED') {
    const order = upserted(delivery, po, event, at);
    const shipped = po.orderLines.filter((l) => SHIPPED.has((l.status ?? '').toUpperCase()));
    if (shipped.length === po.orderLines.length) {
      order.status = 'fulfilled';
      order.fulfilledAt = latest(shipped.map((l) => l.statusDate).filter((t): t is string => Boolean(t))) ?? at;
    } else if (shipped.length > 0) {
      order.status = 'partially_fulfilled';
    }
    return [order];
  }

  // a line-level cancellation: the lines whose status already reads Cancelled, else every line the
  // event lists (an intent to cancel arrives before the status changes)
  const cancelled = po.orderLines.filter((l) => (l.status ?? '').toUpperCase() === 'CANCELLED');
  const affected = cancelled.length > 0 ? cancelled : po.orderLines;
  return [
    {
      ...base,
      type: 'OrderCancelled',
      orderId: po.purchaseOrderId,
      cancelledAt: at,
      reason: event,
      lineIds: affected.map((l) => l.lineNumber),
    },
  ];
});
