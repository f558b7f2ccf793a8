import { z } from 'zod';
import type { CanonicalEvent, OrderStatus, OrderUpserted } from '#shared/domain/events.ts';
import type { Delivery } from '#shared/domain/delivery.ts';
import {
  defineAdapter,
  eventBase,
  isoTime,
  parseJson,
  parseWith,
  present,
  unknownEvent,
} from '#shared/adapters/common.ts';

/**
 * Amazon SP-API notifications (docs/webhook-sources.md), read from the SQS source queue: the body is
 * the notification `{NotificationVersion, NotificationType, PayloadVersion, EventTime, Payload,
 * NotificationMetadata}` (schemas in amzn/selling-partner-api-models schemas/notifications).
 * Types delivered through EventBridge arrive wrapped in an EventBridge event: its `detail` is
 * unwrapped (a bare payload in `detail` takes its type from `detail-type` and its time from `time`).
 */

const notificationSchema = z.looseObject({
  NotificationType: z.string().min(1),
  EventTime: isoTime,
  Payload: z.looseObject({}),
});

const orderChangeSchema = z.looseObject({
  OrderChangeNotification: z.looseObject({
    AmazonOrderId: z.string().min(1),
    OrderChangeType: z.string().nullish(),
    // "null when there is no related timestamp" (OrderChangeNotification.json)
    OrderChangeTrigger: z.looseObject({ TimeOfOrderChange: isoTime.nullish(), ChangeReason: z.string().nullish() }),
    Summary: z.looseObject({
      OrderStatus: z.string().min(1),
      MarketplaceId: z.string().nullish(),
      PurchaseDate: isoTime.nullish(),
      FulfillmentType: z.string().nullish(),
      OrderItems: z
        .array(
          z.looseObject({
            OrderItemId: z.string().min(1),
            SellerSKU: z.string().nullish(),
            Quantity: z.number().int().nonnegative(),
          }),
        )
        .nullish(),
    }),
  }),
});

const fbaSchema = z.looseObject({
  SKU: z.string().min(1),
  FulfillmentInventoryByMarketplace: z.array(
    z.looseObject({
      MarketplaceId: z.string().min(1),
      FulfillmentInventory: z.looseObject({ Fulfillable: z.number().int() }),
    }),
  ),
});

const mfnSchema = z.looseObject({
  Sku: z.string().min(1),
  FulfillmentChannelCode: z.string().min(1),
  Quantity: z.number().int(),
});

/**
 * Summary.OrderStatus → canonical. Beyond the obvious ones: InvoiceUnconfirmed is "all items
 * shipped, invoice not yet confirmed" and PendingAvailability a pre-order not yet payable
 * (SP-API Orders model OrderStatus descriptions).
 */
const STATUS: Record<string, OrderStatus> = {
  Pending: 'pending_payment',
  PendingAvailability: 'pending_payment',
  Unshipped: 'processing',
  PartiallyShipped: 'partially_fulfilled',
  Shipped: 'fulfilled',
  InvoiceUnconfirmed: 'fulfilled',
  Canceled: 'cancelled',
  Unfulfillable: 'failed',
};

export function amazonOrderStatus(status: string): OrderStatus {
  return STATUS[status] ?? 'unknown';
}

/** the notification itself, out of an EventBridge envelope when there is one */
function unwrap(json: unknown): unknown {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return json;
  const record = json as Record<string, unknown>;
  if ('NotificationType' in record || !('detail' in record)) return json;
  const detail = record.detail;
  if (detail && typeof detail === 'object' && !Array.isArray(detail) && !('NotificationType' in detail)) {
    return { NotificationType: record['detail-type'], EventTime: record.time, Payload: detail };
  }
  return detail;
}

function orderChange(delivery: Delivery, eventTime: string, payload: unknown): CanonicalEvent[] {
  const { OrderChangeNotification: n } = parseWith(orderChangeSchema, payload, 'amazon ORDER_CHANGE', ['Payload']);
  const base = eventBase(delivery, eventTime);
  const changedAt = n.OrderChangeTrigger.TimeOfOrderChange ?? eventTime;
  const status = amazonOrderStatus(n.Summary.OrderStatus);
  const rawStatus: Record<string, string> = { OrderStatus: n.Summary.OrderStatus };
  if (n.OrderChangeType) rawStatus.OrderChangeType = n.OrderChangeType;
  if (n.Summary.FulfillmentType) rawStatus.FulfillmentType = n.Summary.FulfillmentType;

  // partial: ORDER_CHANGE has no currency, price or total (those need getOrder)
  const order: OrderUpserted = {
    ...base,
    type: 'OrderUpserted',
    orderId: n.AmazonOrderId,
    status,
    rawStatus,
    createdAt: n.Summary.PurchaseDate ?? changedAt,
    version: { at: changedAt },
    lines: (n.Summary.OrderItems ?? []).map((item) => {
      const sku = present(item.SellerSKU);
      return { lineId: item.OrderItemId, quantity: item.Quantity, ...(sku ? { sku } : {}) };
    }),
  };
  if (status === 'fulfilled') order.fulfilledAt = changedAt;
  if (status === 'cancelled') order.cancelledAt = changedAt;

  const events: CanonicalEvent[] = [order];
  if (status === 'cancelled') {
    const reason = present(n.OrderChangeTrigger.ChangeReason);
    events.push({
      ...base,
      type: 'OrderCancelled',
      orderId: n.AmazonOrderId,
      cancelledAt: changedAt,
      ...(reason ? { reason } : {}),
    });
  }
  return events;
}

export const amazonAdapter = defineAdapter('amazon', ({ delivery, body }) => {
  const json = unwrap(parseJson(body));
  const { NotificationType: type } = parseWith(
    z.looseObject({ NotificationType: z.string().min(1) }),
    json,
    'amazon notification',
  );
  const handled = [
    'ORDER_CHANGE',
    'FBA_INVENTORY_AVAILABILITY_CHANGES',
    'LISTINGS_ITEM_MFN_QUANTITY_CHANGE',
    'ANY_OFFER_CHANGED',
  ];
  if (!handled.includes(type)) throw unknownEvent('amazon', type);
  const n = parseWith(notificationSchema, json, `amazon ${type}`);
  const base = eventBase(delivery, n.EventTime);

  switch (type) {
    case 'ORDER_CHANGE':
      return orderChange(delivery, n.EventTime, n.Payload);
    case 'FBA_INVENTORY_AVAILABILITY_CHANGES': {
      const fba = parseWith(fbaSchema, n.Payload, `amazon ${type}`, ['Payload']);
      // absolute per marketplace; Amazon gives no fulfilment-centre id, so the marketplace is the location
      return fba.FulfillmentInventoryByMarketplace.map(
        (m): CanonicalEvent => ({
          ...base,
          type: 'StockLevelSet',
          sku: fba.SKU,
          locationId: `AFN:${m.MarketplaceId}`,
          quantity: m.FulfillmentInventory.Fulfillable,
          bucket: 'fulfillable',
          asOf: n.EventTime,
        }),
      );
    }
    case 'LISTINGS_ITEM_MFN_QUANTITY_CHANGE': {
      const mfn = parseWith(mfnSchema, n.Payload, `amazon ${type}`, ['Payload']);
      // the quantity the offer lists on Amazon for that fulfilment channel — what the seller (or the
      // hub) last told Amazon to offer, not a count of the warehouse: recorded as listed, never as on-hand
      return [
        {
          ...base,
          type: 'ListedQuantityReported',
          sku: mfn.Sku,
          quantity: mfn.Quantity,
          fulfillmentChannel: mfn.FulfillmentChannelCode,
          asOf: n.EventTime,
        },
      ];
    }
    default:
      // ANY_OFFER_CHANGED is competitor pricing: neither stock nor order data
      return [];
  }
});
