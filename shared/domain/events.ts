import { z } from 'zod';

/**
 * The hub's canonical event model (docs/webhook-sources.md, docs/architecture.md, principle 5).
 * Adapters turn one delivery into zero or more of these; the normalizer applies them.
 *
 * Money is never a float: `amount` is a decimal string in major units ("19.99") with its ISO
 * currency beside it.
 */
/**
 * Limits every event keeps (docs/limits.md), so what the hub stores and sums stays exact and within
 * DynamoDB's sizes: an event past one fails the canonical schema and its delivery is quarantined
 * (reason `schema`, the message naming the field) instead of failing on the table.
 */
/** Lines of one order or refund: an order item stays far below DynamoDB's 400 KB. */
export const MAX_ORDER_LINES = 500;
/** Units of one line, count or movement (the counts API's bound too). */
export const MAX_QUANTITY = 1_000_000_000;
/**
 * Integer digits of an amount in major units: at most 999,999,999,999.999 (minor units below 10^15,
 * whatever the currency's exponent), so it converts exactly within 2^53.
 */
export const MAX_AMOUNT_DIGITS = 12;

/**
 * A physical count of units on hand, as a warehouse sends it (the hub format's `stock.set` and the
 * counts API, POST /v1/stock/counts): one rule for both, so a count refused by one is not taken
 * by the other. Shelves hold no negative units; senders whose stock levels can go below zero
 * (a shop's available-to-sell, backorders) send them through their own adapters.
 */
export const CountedOnHandSchema = z.number().int().min(0).max(MAX_QUANTITY);

export const MoneySchema = z.object({
  amount: z
    .string()
    .regex(
      new RegExp(`^-?\\d{1,${MAX_AMOUNT_DIGITS}}(\\.\\d+)?$`),
      `decimal string of at most ${MAX_AMOUNT_DIGITS} integer digits`,
    ),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code'),
});
export type Money = z.infer<typeof MoneySchema>;

export const OrderStatusSchema = z.enum([
  'pending_payment',
  'paid',
  'processing',
  'partially_fulfilled',
  'fulfilled',
  'on_hold',
  'cancelled',
  'partially_refunded',
  'refunded',
  'failed',
  'unknown',
]);
export type OrderStatus = z.infer<typeof OrderStatusSchema>;

const isoTime = z.string().datetime({ offset: true });

/**
 * Staleness of a versioned entity: `seq` (a sender's monotonic version, e.g. Square's) wins over
 * `at` (an ISO time, e.g. Shopify's updated_at). Compare only values of the same entity.
 */
export const StalenessSchema = z.object({ at: isoTime, seq: z.number().int().nonnegative().optional() });
export type Staleness = z.infer<typeof StalenessSchema>;

/** What every event carries: where it came from and which delivery it came in. */
const base = {
  channel: z.string().min(1),
  source: z.string().min(1),
  deliveryId: z.string().min(1),
  occurredAt: isoTime,
};

export const OrderLineSchema = z.object({
  lineId: z.string().optional(),
  sku: z.string().min(1).optional(),
  /** the channel's listing/variant/item id when no SKU is given (joined through ListingMapped) */
  externalItemId: z.string().optional(),
  quantity: z.number().int().nonnegative().max(MAX_QUANTITY),
  /**
   * Units of this line already shipped while the order as a whole is not (Shopify's partial
   * fulfilment): they leave stock, the rest stays reserved. Absent: none, or the sender does not
   * say per line (the order's status and fulfilledAt then decide for every line).
   */
  shippedQuantity: z.number().int().nonnegative().optional(),
  /**
   * Units taken off the line before they shipped (an order edit that removed them, a refund that
   * cancelled them): the line no longer holds them and a shipment of the order does not take them.
   * Absent: none, or the sender does not say.
   */
  removedQuantity: z.number().int().nonnegative().optional(),
  /** when the shipped units left (the latest shipment of the line); absent: the order version's time */
  shippedAt: isoTime.optional(),
  unitPrice: MoneySchema.optional(),
  locationId: z.string().optional(),
  /**
   * The sender's product (Shopify `product_id`, WooCommerce `product_id`, the hub format's
   * `productId`): the variants of one product share it. The upsell rate compares a customer's
   * purchases of a product (shared/kpi/upsell.ts).
   */
  productId: z.string().min(1).optional(),
});
export type OrderLine = z.infer<typeof OrderLineSchema>;

export const OrderUpsertedSchema = z.object({
  ...base,
  type: z.literal('OrderUpserted'),
  orderId: z.string().min(1),
  orderNumber: z.string().optional(),
  status: OrderStatusSchema,
  rawStatus: z.record(z.string(), z.string()),
  createdAt: isoTime,
  version: StalenessSchema,
  total: MoneySchema.optional(),
  lines: z.array(OrderLineSchema).max(MAX_ORDER_LINES),
  locationId: z.string().optional(),
  shipToCountry: z.string().optional(),
  fulfilledAt: isoTime.optional(),
  cancelledAt: isoTime.optional(),
  /**
   * The sender's customer reference as the adapter read it (`id:<customer id>` or
   * `email:<address>`). Never stored: the normalizer replaces it with `customerHash` (an
   * HMAC-SHA256 under the hub's customer salt, shared/domain/customer-hash.ts) before the event is
   * applied, and drops it when no salt is configured.
   */
  customerRef: z.string().min(1).max(400).optional(),
  /** the salted hash of the customer reference: what the stored order keeps */
  customerHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** when the sale started (a draft order or quote created): the sales cycle ends at createdAt */
  quotedAt: isoTime.optional(),
});
export type OrderUpserted = z.infer<typeof OrderUpsertedSchema>;

export const OrderCancelledSchema = z.object({
  ...base,
  type: z.literal('OrderCancelled'),
  orderId: z.string().min(1),
  cancelledAt: isoTime,
  reason: z.string().optional(),
  /** present for a partial cancellation (Walmart line cancels) */
  lineIds: z.array(z.string()).optional(),
});
export type OrderCancelled = z.infer<typeof OrderCancelledSchema>;

export const RefundRecordedSchema = z.object({
  ...base,
  type: z.literal('RefundRecorded'),
  orderId: z.string().min(1),
  refundId: z.string().min(1),
  amount: MoneySchema.optional(),
  processedAt: isoTime,
  lines: z
    .array(
      z.object({
        lineId: z.string().optional(),
        sku: z.string().optional(),
        quantity: z.number().int().nonnegative().max(MAX_QUANTITY),
        restock: z.boolean(),
        /**
         * the units were cancelled before they shipped (Shopify `restock_type: cancel`): they never
         * left stock, so nothing goes back on hand; the order's line stops holding them
         */
        unshipped: z.boolean().optional(),
        locationId: z.string().optional(),
      }),
    )
    .max(MAX_ORDER_LINES),
});
export type RefundRecorded = z.infer<typeof RefundRecordedSchema>;

/**
 * One shipment of some of an order's lines (Shopify fulfillments/create, fulfillments/update). The
 * order keeps each by id, newest version winning, so a cancelled fulfilment undoes its lines;
 * a line counts as shipped as far as the order itself or its fulfilments say, whichever is more.
 */
export const FulfillmentRecordedSchema = z.object({
  ...base,
  type: z.literal('FulfillmentRecorded'),
  orderId: z.string().min(1),
  fulfillmentId: z.string().min(1),
  /** false for a cancelled or failed fulfilment: its units did not leave */
  shipped: z.boolean(),
  /** when the units left */
  at: isoTime,
  version: StalenessSchema,
  lines: z.array(z.object({ lineId: z.string().min(1), quantity: z.number().int().nonnegative() })),
});
export type FulfillmentRecorded = z.infer<typeof FulfillmentRecordedSchema>;

/** An absolute count: the truth for (sku, location) from `asOf` on. */
export const StockLevelSetSchema = z.object({
  ...base,
  type: z.literal('StockLevelSet'),
  sku: z.string().min(1).optional(),
  inventoryItemId: z.string().optional(),
  /** 'default' where the sender has a single location */
  locationId: z.string().min(1),
  quantity: z.number().int().min(-MAX_QUANTITY).max(MAX_QUANTITY),
  bucket: z.enum(['on_hand', 'available', 'fulfillable']),
  asOf: isoTime,
});
export type StockLevelSet = z.infer<typeof StockLevelSetSchema>;

/** A movement: applied exactly once per `idempotencyKey`. */
export const StockAdjustedSchema = z.object({
  ...base,
  type: z.literal('StockAdjusted'),
  sku: z.string().min(1).optional(),
  inventoryItemId: z.string().optional(),
  locationId: z.string().min(1),
  delta: z.number().int().min(-MAX_QUANTITY).max(MAX_QUANTITY),
  reason: z.enum(['order', 'refund', 'manual', 'receipt', 'damage', 'transfer', 'other']),
  idempotencyKey: z.string().min(1),
  at: isoTime,
});
export type StockAdjusted = z.infer<typeof StockAdjustedSchema>;

/** A channel's listing / variant / inventory item id is this master SKU. */
export const ListingMappedSchema = z.object({
  ...base,
  type: z.literal('ListingMapped'),
  externalId: z.string().min(1),
  sku: z.string().min(1),
  at: isoTime,
});
export type ListingMapped = z.infer<typeof ListingMappedSchema>;

/**
 * How many units a channel lists (offers) of a SKU, as the channel reports it: Amazon's
 * LISTINGS_ITEM_MFN_QUANTITY_CHANGE. What a marketplace shows buyers, not stock anyone counted, so
 * it never becomes on-hand: it is kept per (channel, sku) beside the balances, the newest `asOf`
 * winning, and shown next to the channel's available-to-sell.
 */
export const ListedQuantityReportedSchema = z.object({
  ...base,
  type: z.literal('ListedQuantityReported'),
  sku: z.string().min(1),
  quantity: z.number().int(),
  /** the channel's own name for the offer it counts (Amazon's FulfillmentChannelCode, e.g. DEFAULT) */
  fulfillmentChannel: z.string().min(1).optional(),
  asOf: isoTime,
});
export type ListedQuantityReported = z.infer<typeof ListedQuantityReportedSchema>;

/** A thin delivery (id only): recorded until the resource is fetched from the sender's API. */
export const HydrationPendingSchema = z.object({
  ...base,
  type: z.literal('HydrationPending'),
  entity: z.enum(['order', 'listing', 'product', 'inventory']),
  externalId: z.string().min(1),
  /** e.g. Square's order version, for when the fetch happens */
  version: StalenessSchema.optional(),
  detail: z.record(z.string(), z.string()).optional(),
});
export type HydrationPending = z.infer<typeof HydrationPendingSchema>;

/**
 * A sale that began as a draft order or quote and became an order (Shopify's completed draft
 * order): the sales cycle's start and end, from the draft alone, so it counts whatever the order
 * webhook carries and whichever of the two arrives first (shared/kpi/sales-cycle.ts).
 */
export const SalesCycleRecordedSchema = z.object({
  ...base,
  type: z.literal('SalesCycleRecorded'),
  /** the sender's draft or quote id */
  draftId: z.string().min(1),
  /** the order it became, when the sender says */
  orderId: z.string().min(1).optional(),
  /** when the draft was created */
  startedAt: isoTime,
  /** when it was completed into an order */
  endedAt: isoTime,
});
export type SalesCycleRecorded = z.infer<typeof SalesCycleRecordedSchema>;

export const CanonicalEventSchema = z.discriminatedUnion('type', [
  OrderUpsertedSchema,
  OrderCancelledSchema,
  RefundRecordedSchema,
  FulfillmentRecordedSchema,
  StockLevelSetSchema,
  StockAdjustedSchema,
  ListingMappedSchema,
  HydrationPendingSchema,
  ListedQuantityReportedSchema,
  SalesCycleRecordedSchema,
]);
export type CanonicalEvent = z.infer<typeof CanonicalEventSchema>;
export type CanonicalEventType = CanonicalEvent['type'];
