import { describe, expect, it } from 'vitest';
import type { Source } from '#shared/domain/connection.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { adapt } from '#shared/adapters/index.ts';
import { AdapterError } from '#shared/adapters/types.ts';
import { applyEvents } from '#shared/normalize/apply.ts';
import { normalizeMessage } from '#shared/normalize/normalize.ts';
import { UNASSIGNED_LOCATION } from '#shared/inventory/locations.ts';
import { hourCountersOf } from '#shared/kpi/fold.ts';
import { deliveryFor, type Json, payloadNames, payloadText } from '#test/fixtures/payloads.ts';
import { FIXTURE_TOPIC } from '#test/fixtures/topics.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import type { Item } from '#shared/table/port.ts';
import { foldMemory } from '../../../bench/memory-fold.ts';
import { channelList } from '../../support/channels.ts';
import { fixedClock, TEST_NOW } from '../../support/clock.ts';
import { CHANNEL, COUNTED, locationMapOf, setupEvents, skuForListing, WAREHOUSE } from './published-setup.ts';

/**
 * The exact effect of every published-sample fixture (test/fixtures/payloads/<sender>/) on the
 * order it names and on the channel KPIs, in the merchant set-up of published-samples.test.ts.
 * Every expected figure is worked out here from the sample's own published fields, as the
 * sender's docs define them (docs/senders.md, docs/kpis.md), not by the hub's code:
 * - the KPI counters: the change to the channel's hour counters (the UTC hour the order was
 *   created in) — orders, cancellations, units and revenue of what was not cancelled, fulfilment
 *   time, refunds, orders of more than one SKU;
 * - the order: its status, and per SKU the units it holds (reserved) and the stock left on hand.
 * A follow-up sample (a refund, a fulfilment, a cancellation) is sent after the sample that
 * created its order, and its effect is the change it makes to what that order left.
 */

type Figures = Record<string, number>;
interface Effect {
  /** UTC hour (`YYYY-MM-DDTHH`) → change to the hour counter's figures (`revenue_USD`, …) */
  kpi: Record<string, Figures>;
  /** the order the sample names, when it stores one: status, and per SKU onHand/reserved at WH-A */
  order?: { status: string | undefined; stock: Record<string, { onHand: number; reserved: number }> };
  /** a thin notification: the order id the hub fetches from the sender's API */
  hydrates?: string;
}

// ---- reading money and time as the senders publish them ---------------------------------------

/** A decimal amount in minor units (every sample's currency, USD and EUR, has two decimals). */
const minor = (amount: string | number): number => Math.round(Number(amount) * 100);
const hourOf = (ts: string): string => new Date(ts).toISOString().slice(0, 13);
const secondsBetween = (from: string, to: string): number => Math.round((Date.parse(to) - Date.parse(from)) / 1000);
const sum = (ns: number[]): number => ns.reduce((a, b) => a + b, 0);
const latest = (ts: string[]): string => ts.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b));

/** The figures one order contributes (docs/kpis.md): zero figures left out. */
function orderFigures(o: {
  cancelled: boolean;
  units: number;
  skus: number;
  revenue?: { currency: string; minor: number };
  fulfilSeconds?: number;
  refunds?: { currency: string; minor: number }[];
}): Figures {
  const f: Figures = { orders: 1 };
  if (o.cancelled) f.cancelled = 1;
  else {
    if (o.units) f.units = o.units;
    if (o.skus > 1) f.multiSku = 1;
    if (o.revenue) {
      f[`revenue_${o.revenue.currency}`] = o.revenue.minor;
      f[`priced_${o.revenue.currency}`] = 1;
    } else f.unpriced = 1;
    if (o.fulfilSeconds !== undefined) {
      f.fulfilled = 1;
      if (o.fulfilSeconds) f.fulfilSeconds = o.fulfilSeconds;
    }
  }
  for (const r of o.refunds ?? []) {
    f.refunds = (f.refunds ?? 0) + 1;
    f[`refundAmount_${r.currency}`] = (f[`refundAmount_${r.currency}`] ?? 0) + r.minor;
  }
  return f;
}

/** `after − before`, figure by figure, zeros left out. */
function minus(after: Figures, before: Figures): Figures {
  const out: Figures = {};
  for (const k of new Set([...Object.keys(after), ...Object.keys(before)])) {
    const d = (after[k] ?? 0) - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** Per SKU, what an order holds and what it shipped, as stock at WH-A. */
function stockOf(lines: { sku?: string; qty: number; shipped: number; held: boolean }[], restocked: Figures = {}) {
  const stock: Record<string, { onHand: number; reserved: number }> = {};
  for (const l of lines) {
    if (!l.sku) continue;
    const s = (stock[l.sku] ??= { onHand: COUNTED, reserved: 0 });
    s.onHand -= l.shipped;
    if (l.held) s.reserved += l.qty - l.shipped;
  }
  for (const [sku, n] of Object.entries(restocked)) (stock[sku] ??= { onHand: COUNTED, reserved: 0 }).onHand += n;
  return stock;
}

// ---- Shopify: REST Order, Refund and Fulfillment resources -------------------------------------

/**
 * A Shopify order body. Revenue is `total_price` (shop currency: `currency`, not the presentment
 * currency): the total after edits and before refunds, which are counted from refunds/create.
 * A line's SKU is its `sku`; a line with an empty SKU is resolved through its variant's listing
 * (the set-up maps it); a custom line (no variant) moves no stock but is counted in the order.
 */
function shopifyOrder(
  p: Json,
  refunds: { currency: string; minor: number }[] = [],
  restocked: Figures = {},
  /** units a refunds/create cancelled before shipping, by line id (the order body may not say yet) */
  cancelledByRefund: Figures = {},
): Effect {
  const cancelled = p.cancelled_at != null;
  const lines: Json[] = p.line_items;
  const shippedFulfilments = (p.fulfillments ?? []).filter((f: Json) => f.status === 'success');
  const fulfilled = p.fulfillment_status === 'fulfilled';
  const status = cancelled
    ? 'cancelled'
    : fulfilled
      ? 'fulfilled'
      : p.fulfillment_status === 'partial'
        ? 'partially_fulfilled'
        : (
            {
              paid: 'paid',
              authorized: 'processing',
              pending: 'pending_payment',
              partially_refunded: 'partially_refunded',
            } as Record<string, string>
          )[p.financial_status];
  const skuOf = (l: Json): string | undefined =>
    l.sku ? l.sku : l.variant_id != null ? skuForListing(`variant:${l.variant_id}`) : undefined;
  const shippedOf = (l: Json): number =>
    fulfilled
      ? l.quantity
      : sum(
          shippedFulfilments
            .flatMap((f: Json) => f.line_items.filter((x: Json) => x.id === l.id))
            .map((x: Json) => x.quantity),
        );
  // units taken off a line before shipping: an edit's (the quantity the line lost that no refund
  // names: `current_quantity` counts refunded units out too) plus a refund's `cancel`
  const refundLines: Json[] = (p.refunds ?? []).flatMap((r: Json) => r.refund_line_items ?? []);
  const refundedOf = (l: Json, type?: string) =>
    sum(
      refundLines.filter((x) => x.line_item_id === l.id && (!type || x.restock_type === type)).map((x) => x.quantity),
    );
  const removedOf = (l: Json): number =>
    Math.max(
      cancelledByRefund[String(l.id)] ?? 0,
      refundedOf(l, 'cancel') +
        (l.current_quantity == null ? 0 : Math.max(0, l.quantity - l.current_quantity - refundedOf(l))),
    );
  const figures = orderFigures({
    cancelled,
    units: sum(lines.map((l) => l.quantity)),
    skus: new Set(lines.map((l) => skuOf(l) ?? `custom line ${l.id}`)).size,
    revenue: { currency: p.currency, minor: minor(p.total_price ?? p.current_total_price) },
    ...(fulfilled
      ? { fulfilSeconds: secondsBetween(p.created_at, latest(shippedFulfilments.map((f: Json) => f.created_at))) }
      : {}),
    refunds,
  });
  return {
    kpi: { [hourOf(p.created_at)]: figures },
    order: {
      status,
      stock: stockOf(
        lines.map((l) => ({
          sku: skuOf(l),
          qty: l.quantity - removedOf(l),
          shipped: cancelled ? 0 : Math.min(shippedOf(l), l.quantity - removedOf(l)),
          held: !cancelled && !fulfilled,
        })),
        restocked,
      ),
    },
  };
}

/** A refund's amount: its successful refund transactions (a failed one refunds nothing). */
function shopifyRefundAmount(r: Json): { currency: string; minor: number } {
  const paid = r.transactions.filter((t: Json) => t.kind === 'refund' && t.status === 'success');
  return { currency: paid[0].currency, minor: sum(paid.map((t: Json) => minor(t.amount))) };
}

/**
 * Units a refund puts back on hand: its lines restocked (`return`, `legacy_restock`). `cancel`
 * units never left (Shopify uses it for units not yet fulfilled) and `no_restock` stay out.
 */
function shopifyRestocked(r: Json): Figures {
  const out: Figures = {};
  for (const l of r.refund_line_items)
    if (l.restock_type !== 'no_restock' && l.restock_type !== 'cancel')
      out[l.line_item.sku] = (out[l.line_item.sku] ?? 0) + l.quantity;
  return out;
}

/** Units a refund cancelled before they shipped, by line id. */
function shopifyCancelledUnits(r: Json): Figures {
  const out: Figures = {};
  for (const l of r.refund_line_items)
    if (l.restock_type === 'cancel') out[String(l.line_item_id)] = (out[String(l.line_item_id)] ?? 0) + l.quantity;
  return out;
}

// ---- WooCommerce: REST API v3 order ------------------------------------------------------------

const WOO_STATUS: Record<string, string> = {
  pending: 'pending_payment',
  processing: 'processing',
  'on-hold': 'on_hold',
  completed: 'fulfilled',
  refunded: 'refunded',
  cancelled: 'cancelled',
};

/**
 * A WooCommerce order: revenue is `total` in `currency`; times are `*_gmt` (UTC without a zone);
 * `date_completed_gmt` is when it shipped; `refunds[]` lists each refund with a negative total and
 * says nothing of restocking. A line with `"sku": ""` is resolved through its product's listing.
 */
function wooOrder(p: Json): Effect {
  const gmt = (t: string) => `${t}Z`;
  const cancelled = p.status === 'cancelled';
  const shipped = p.date_completed_gmt != null && !cancelled;
  const skuOf = (l: Json): string =>
    l.sku || skuForListing(l.variation_id ? `variation:${l.product_id}:${l.variation_id}` : `product:${l.product_id}`);
  const lines: Json[] = p.line_items;
  const open = ['pending', 'processing', 'on-hold'].includes(p.status);
  return {
    kpi: {
      [hourOf(gmt(p.date_created_gmt))]: orderFigures({
        cancelled,
        units: sum(lines.map((l) => l.quantity)),
        skus: new Set(lines.map(skuOf)).size,
        revenue: { currency: p.currency, minor: minor(p.total) },
        ...(shipped ? { fulfilSeconds: secondsBetween(gmt(p.date_created_gmt), gmt(p.date_completed_gmt)) } : {}),
        refunds: (p.refunds ?? []).map((r: Json) => ({ currency: p.currency, minor: Math.abs(minor(r.total)) })),
      }),
    },
    order: {
      status: WOO_STATUS[p.status],
      stock: stockOf(
        lines.map((l) => ({ sku: skuOf(l), qty: l.quantity, shipped: shipped ? l.quantity : 0, held: open })),
      ),
    },
  };
}

// ---- Walmart: PO_CREATED / ORDER_UPDATES purchase orders ----------------------------------------

/**
 * A Walmart purchase order: no prices (unpriced); a line's quantity is a decimal string; the order
 * has shipped when every line is SHIPPED, at the latest line `statusDate`.
 */
function walmartOrder(o: Json): Effect {
  const lines: Json[] = o.orderLines;
  const qty = (l: Json) => Number(l.quantity.measurementValue);
  const shipped = lines.every((l) => l.status === 'SHIPPED');
  return {
    kpi: {
      [hourOf(o.orderDate)]: orderFigures({
        cancelled: false,
        units: sum(lines.map(qty)),
        skus: new Set(lines.map((l) => l.sku)).size,
        ...(shipped ? { fulfilSeconds: secondsBetween(o.orderDate, latest(lines.map((l) => l.statusDate))) } : {}),
      }),
    },
    order: {
      status: shipped ? 'fulfilled' : 'processing',
      stock: stockOf(lines.map((l) => ({ sku: l.sku, qty: qty(l), shipped: shipped ? qty(l) : 0, held: !shipped }))),
    },
  };
}

/** The same purchase order after the lines a cancellation names are cancelled. */
function walmartLinesCancelled(o: Json, cancelledLines: string[]): Effect {
  const lines: Json[] = o.orderLines;
  const left = lines.filter((l) => !cancelledLines.includes(l.lineNumber));
  const qty = (l: Json) => Number(l.quantity.measurementValue);
  const whole = left.length === 0;
  return {
    kpi: {
      [hourOf(o.orderDate)]: orderFigures({
        cancelled: whole,
        units: sum(left.map(qty)),
        skus: new Set(left.map((l) => l.sku)).size,
      }),
    },
    order: {
      status: 'processing',
      stock: stockOf(lines.map((l) => ({ sku: l.sku, qty: qty(l), shipped: 0, held: left.includes(l) }))),
    },
  };
}

// ---- Standard Webhooks: the hub's own format (docs/hub-format.md) -------------------------------

function hubOrder(d: Json, cancelledLines: string[] = [], refunds: Json[] = [], shippedBy: Figures = {}): Effect {
  const lines: Json[] = d.lines;
  const left = lines.filter((l) => !cancelledLines.includes(l.lineId));
  const skuOf = (l: Json): string => l.sku ?? skuForListing(l.listingId);
  const partial = cancelledLines.length > 0;
  // after a line is cancelled the order total no longer says what is left: its lines' prices do
  const revenue =
    d.total !== undefined && !partial ? minor(d.total) : sum(left.map((l) => minor(l.unitPrice) * l.quantity));
  const open = ['pending_payment', 'paid', 'processing', 'partially_fulfilled', 'on_hold'].includes(d.status);
  return {
    kpi: {
      [hourOf(d.createdAt)]: orderFigures({
        cancelled: false,
        units: sum(left.map((l) => l.quantity)),
        skus: new Set(left.map(skuOf)).size,
        revenue: { currency: d.currency, minor: revenue },
        refunds: refunds.map((r) => ({ currency: r.currency, minor: minor(r.amount) })),
      }),
    },
    order: {
      status: d.status,
      stock: stockOf(
        lines.map((l) => ({
          sku: skuOf(l),
          qty: l.quantity,
          shipped: Math.max(l.shipped ?? 0, shippedBy[l.lineId] ?? 0),
          held: open && left.includes(l),
        })),
        Object.fromEntries(
          refunds.flatMap((r) => r.lines.filter((l: Json) => l.restock).map((l: Json) => [l.sku, l.quantity])),
        ),
      ),
    },
  };
}

// ---- Amazon SP-API ORDER_CHANGE ---------------------------------------------------------------

/** An Amazon order: no prices (unpriced), `PurchaseDate` its creation, `SellerSKU` per item. */
function amazonOrder(p: Json): Effect {
  const s = p.Payload.OrderChangeNotification.Summary;
  const items: Json[] = s.OrderItems;
  const status = ({ Pending: 'pending_payment', Unshipped: 'processing' } as Record<string, string>)[s.OrderStatus];
  return {
    kpi: {
      [hourOf(s.PurchaseDate)]: orderFigures({
        cancelled: false,
        units: sum(items.map((i) => i.Quantity)),
        skus: new Set(items.map((i) => i.SellerSKU)).size,
      }),
    },
    order: {
      status,
      stock: stockOf(items.map((i) => ({ sku: i.SellerSKU, qty: i.Quantity, shipped: i.QuantityShipped, held: true }))),
    },
  };
}

// ---- the samples and what each does -----------------------------------------------------------

const NO_EFFECT: Effect = { kpi: {} };
const text = (source: Source, name: string) => payloadText(source, name);
const json = (source: Source, name: string): Json => JSON.parse(text(source, name));

interface Case {
  source: Source;
  name: string;
  /** the sample that created the order this one follows up */
  after?: string;
  /** the effect of the sample alone, or of `after` then the sample */
  expected: () => Effect;
  /** for a follow-up: the effect of `after` alone (the change is asserted against it) */
  before?: () => Effect;
}

const shopify = (name: string) => json('shopify', name);
const woo = (name: string) => json('woocommerce', name);
const hubData = (name: string) => json('standard-webhooks', name).data;
const walmart = (name: string): Json => {
  const p = json('walmart', name).payload;
  return p.order ?? p;
};
/** The lines a Walmart cancellation names: those reading CANCELLED, else every line it lists. */
const walmartCancelledLines = (name: string): string[] => {
  const lines: Json[] = walmart(name).orderLines;
  const cancelled = lines.filter((l) => l.status.toUpperCase() === 'CANCELLED');
  return (cancelled.length > 0 ? cancelled : lines).map((l) => l.lineNumber);
};
/** a thin order notification (docs/hydration.md): the order is fetched, nothing counted yet */
const thin = (orderId: string): Effect => ({ kpi: {}, hydrates: orderId });

const STOCK_ONLY = {
  shopify: [
    'inventory-level-test',
    'inventory-level-untracked',
    'inventory-level-update',
    'product-update',
    'product-update-test',
  ],
  woocommerce: ['product-updated', 'product-updated-variation'],
  square: ['inventory-count-updated'],
  'standard-webhooks': ['listing-mapped', 'stock-adjusted', 'stock-set', 'stock-set-bulk'],
  walmart: ['inventory-oos'],
  bigcommerce: ['product-inventory-absolute', 'sku-inventory-relative'],
  amazon: ['fba-inventory-availability', 'listings-item-mfn-quantity-change', 'any-offer-changed'],
  ebay: ['marketplace-account-deletion'],
} satisfies Partial<Record<Source, string[]>>;

const CASES: Case[] = [
  // a completed draft: one quoted sale from its creation to its completion, where it completed
  // (2026-02-26T10:12:45-05:00 → 2026-03-04T14:31:09-05:00: 6 days 4 h 18 min 24 s); no order of its own
  {
    source: 'shopify',
    name: 'draft-order-update-completed',
    expected: () => ({ kpi: { '2026-03-04T19': { quoted: 1, cycleSeconds: 6 * 86400 + 4 * 3600 + 18 * 60 + 24 } } }),
  },
  // an open draft is acknowledged as ignored
  { source: 'shopify', name: 'draft-order-create-open', expected: () => NO_EFFECT },
  ...Object.entries(STOCK_ONLY).flatMap(([source, names]) =>
    names.map((name): Case => ({ source: source as Source, name, expected: () => NO_EFFECT })),
  ),
  // Shopify orders/* bodies
  ...[
    'order-create',
    'order-cancelled',
    'order-fulfilled',
    'order-create-presentment',
    'order-paid',
    'order-partially-fulfilled',
    'order-fulfilled-multi',
    'order-updated-pos',
    'order-updated-refunded',
    'order-updated-cancelled-units',
    'order-updated-edited',
    'test-order',
  ].map((name): Case => ({ source: 'shopify', name, expected: () => shopifyOrder(shopify(name)) })),
  // orders/updated after a refund: current_total_price has the refund taken off, total_price not;
  // the refund itself counts from refunds/create, so revenue must not drop here
  {
    source: 'shopify',
    name: 'order-updated-refunded',
    after: 'order-paid',
    before: () => shopifyOrder(shopify('order-paid')),
    expected: () => shopifyOrder(shopify('order-updated-refunded')),
  },
  // units taken off a line before shipping (a refund's `cancel`, an edit) stop being held
  ...['order-updated-cancelled-units', 'order-updated-edited'].map(
    (name): Case => ({
      source: 'shopify',
      name,
      after: 'order-paid',
      before: () => shopifyOrder(shopify('order-paid')),
      expected: () => shopifyOrder(shopify(name)),
    }),
  ),
  // orders/edited carries the edit's deltas, not the order: the order's next orders/updated says what it is
  { source: 'shopify', name: 'order-edited', expected: () => NO_EFFECT },
  // refunds after the order they refund
  ...(
    [
      ['refund-create', 'order-create'],
      ['refund-create-test', 'test-order'],
      ['refund-create-restock', 'order-paid'],
      ['refund-create-cancel', 'order-paid'],
    ] as const
  ).map(
    ([name, after]): Case => ({
      source: 'shopify',
      name,
      after,
      before: () => shopifyOrder(shopify(after)),
      expected: () =>
        shopifyOrder(
          shopify(after),
          [shopifyRefundAmount(shopify(name))],
          shopifyRestocked(shopify(name)),
          shopifyCancelledUnits(shopify(name)),
        ),
    }),
  ),
  // a refund, fulfilment alone: its order is not known yet, so it counts nowhere and holds nothing
  ...['refund-create', 'refund-create-test', 'refund-create-restock', 'refund-create-cancel'].map(
    (name): Case => ({
      source: 'shopify',
      name,
      expected: () => ({
        kpi: {},
        order: { status: undefined, stock: stockOf([], shopifyRestocked(shopify(name))) },
      }),
    }),
  ),
  ...['fulfillment-create', 'fulfillment-update-cancelled'].map(
    (name): Case => ({
      source: 'shopify',
      name,
      expected: () => ({ kpi: {}, order: { status: undefined, stock: {} } }),
    }),
  ),
  // the test notification's fulfilment is of the test order, which is cancelled: nothing ships
  {
    source: 'shopify',
    name: 'fulfillment-create',
    after: 'test-order',
    before: () => shopifyOrder(shopify('test-order')),
    expected: () => shopifyOrder(shopify('test-order')),
  },
  // WooCommerce
  ...[
    'order-processing',
    'order-completed-refunded',
    'order-created-docs',
    'order-updated-docs',
    'order-completed-docs',
    'order-refunded-docs',
  ].map((name): Case => ({ source: 'woocommerce', name, expected: () => wooOrder(woo(name)) })),
  // Square, BigCommerce and eBay order notifications are thin
  ...(['order-created', 'order-updated', 'order-fulfillment-updated'] as const).map(
    (name): Case => ({
      source: 'square',
      name,
      expected: () => thin(json('square', name).data.id),
    }),
  ),
  ...(['order-created', 'order-status-updated'] as const).map(
    (name): Case => ({ source: 'bigcommerce', name, expected: () => thin(String(json('bigcommerce', name).data.id)) }),
  ),
  {
    source: 'ebay',
    name: 'order-confirmation',
    expected: () => thin(json('ebay', 'order-confirmation').notification.data.orderId),
  },
  // Standard Webhooks
  { source: 'standard-webhooks', name: 'order-upserted', expected: () => hubOrder(hubData('order-upserted')) },
  {
    source: 'standard-webhooks',
    name: 'order-upserted-partial',
    expected: () => hubOrder(hubData('order-upserted-partial')),
  },
  {
    source: 'standard-webhooks',
    name: 'order-cancelled',
    after: 'order-upserted',
    before: () => hubOrder(hubData('order-upserted')),
    expected: () => hubOrder(hubData('order-upserted'), hubData('order-cancelled').lineIds),
  },
  {
    source: 'standard-webhooks',
    name: 'refund-recorded',
    after: 'order-upserted',
    before: () => hubOrder(hubData('order-upserted')),
    expected: () => hubOrder(hubData('order-upserted'), [], [hubData('refund-recorded')]),
  },
  {
    source: 'standard-webhooks',
    name: 'fulfillment-recorded',
    after: 'order-upserted-partial',
    before: () => hubOrder(hubData('order-upserted-partial')),
    expected: () =>
      hubOrder(
        hubData('order-upserted-partial'),
        [],
        [],
        Object.fromEntries(hubData('fulfillment-recorded').lines.map((l: Json) => [l.lineId, l.quantity])),
      ),
  },
  ...['order-cancelled', 'refund-recorded', 'fulfillment-recorded'].map(
    (name): Case => ({
      source: 'standard-webhooks',
      name,
      expected: () => ({
        kpi: {},
        order: {
          status: undefined,
          stock: Object.fromEntries(
            (hubData(name).lines ?? [])
              .filter((l: Json) => l.restock)
              .map((l: Json) => [l.sku, { onHand: COUNTED + l.quantity, reserved: 0 }]),
          ),
        },
      }),
    }),
  ),
  // Walmart
  ...['po-created', 'order-updates-po-created', 'order-updates-shipped'].map(
    (name): Case => ({ source: 'walmart', name, expected: () => walmartOrder(walmart(name)) }),
  ),
  // a cancellation names its lines by status (CANCELLED); Walmart's INTENT_TO_CANCEL comes before
  // any status changes and asks the seller to cancel the lines it lists before they ship ("pause
  // fulfillment, attempt a line-level cancellation"): the hub cancels every line it lists
  ...['order-updates-autocancelled', 'order-updates-intent-to-cancel'].map(
    (name): Case => ({
      source: 'walmart',
      name,
      after: 'po-created',
      before: () => walmartOrder(walmart('po-created')),
      expected: () => walmartLinesCancelled(walmart('po-created'), walmartCancelledLines(name)),
    }),
  ),
  // alone, before the purchase order: recorded, waiting for it; nothing counted or held
  ...['order-updates-autocancelled', 'order-updates-intent-to-cancel'].map(
    (name): Case => ({
      source: 'walmart',
      name,
      expected: () => ({ kpi: {}, order: { status: undefined, stock: {} } }),
    }),
  ),
  {
    source: 'walmart',
    name: 'order-updates-shipped',
    after: 'po-created',
    before: () => walmartOrder(walmart('po-created')),
    expected: () => walmartOrder(walmart('order-updates-shipped')),
  },
  // Amazon
  {
    source: 'amazon',
    name: 'order-change-unshipped',
    expected: () => amazonOrder(json('amazon', 'order-change-unshipped')),
  },
];

// ---- running a sample in the merchant's set-up ------------------------------------------------

function eventsOf(source: Source, name: string): CanonicalEvent[] {
  const topic = FIXTURE_TOPIC[source][name]!;
  const delivery = deliveryFor(source, topic, text(source, name), { channel: CHANNEL });
  const body = delivery.body.kind === 'inline' ? delivery.body.data : '';
  try {
    return adapt({ delivery, body });
  } catch (err) {
    if (err instanceof AdapterError && err.kind === 'ignored') return [];
    throw err;
  }
}

async function send(table: MemoryTable, source: Source, name: string, locationMap: Record<string, string>) {
  const delivery = deliveryFor(source, FIXTURE_TOPIC[source][name]!, text(source, name), { channel: CHANNEL });
  const body = delivery.body.kind === 'inline' ? delivery.body.data : '';
  const channels = channelList([
    { channel: CHANNEL, allocation: {}, fulfilmentLocation: WAREHOUSE, locationMap: { ...locationMap } },
  ]);
  const outcome = await normalizeMessage(JSON.stringify(delivery), {
    table,
    adapt,
    channels,
    loadBody: async () => Buffer.from(body),
    now: fixedClock(),
  });
  expect(outcome.status, `${name}: ${JSON.stringify(outcome)}`).not.toBe('quarantined');
}

/** The channel's hour counters, by UTC hour, without zeros. */
function hourFigures(items: Item[]): Record<string, Figures> {
  const out: Record<string, Figures> = {};
  for (const h of items.flatMap(hourCountersOf)) {
    expect(h.channel).toBe(CHANNEL);
    const f = (out[String(h.hour).slice(0, 13)] ??= {});
    for (const [k, v] of Object.entries(h))
      if (typeof v === 'number' && v !== 0 && !['hour', 'channel', 'type'].includes(k)) f[k] = (f[k] ?? 0) + v;
  }
  for (const [hour, f] of Object.entries(out)) if (Object.keys(f).length === 0) delete out[hour];
  return out;
}

/** The channel's day or month rollups (UTC, the fold's zone here), by day or month, without zeros. */
function rollups(items: Item[], type: 'kpi-day' | 'kpi-month'): Record<string, Figures> {
  const out: Record<string, Figures> = {};
  for (const r of items.filter((i) => i.type === type)) {
    expect([r.channel, r.zone]).toEqual([CHANNEL, 'UTC']);
    const f = (out[String(type === 'kpi-day' ? r.day : r.month)] ??= {});
    for (const [k, v] of Object.entries(r))
      if (typeof v === 'number' && v !== 0 && !k.startsWith('wm')) f[k] = (f[k] ?? 0) + v;
  }
  for (const [period, f] of Object.entries(out)) if (Object.keys(f).length === 0) delete out[period];
  return out;
}

/** Hour figures summed by the period their hour starts (`length` 10: the day, 7: the month). */
function byPeriod(hours: Record<string, Figures>, length: 10 | 7): Record<string, Figures> {
  const out: Record<string, Figures> = {};
  for (const [hour, f] of Object.entries(hours)) {
    const into = (out[hour.slice(0, length)] ??= {});
    for (const [k, v] of Object.entries(f)) into[k] = (into[k] ?? 0) + v;
  }
  return out;
}

function kpiChange(after: Record<string, Figures>, before: Record<string, Figures>): Record<string, Figures> {
  const out: Record<string, Figures> = {};
  for (const hour of new Set([...Object.keys(after), ...Object.keys(before)])) {
    const d = minus(after[hour] ?? {}, before[hour] ?? {});
    if (Object.keys(d).length > 0) out[hour] = d;
  }
  return out;
}

/** What the table says of the sample's order: status, and stock at WH-A of the SKUs it names. */
function orderSeen(items: Item[], skus: string[]): Effect['order'] {
  const orders = items.filter((i) => i.type === 'order');
  expect(orders.length, 'orders stored').toBe(1);
  const state = orders[0]!.state as { status: string } | undefined;
  const stock: Record<string, { onHand: number; reserved: number }> = {};
  for (const sku of skus) {
    const at = (location: string) =>
      items.find((i) => i.type === 'balance' && i.sku === sku && i.location === location);
    const b = at(WAREHOUSE);
    stock[sku] = {
      onHand: Number(b?.onHand ?? COUNTED),
      reserved: Number(b?.reserved ?? 0) + Number(at(UNASSIGNED_LOCATION)?.reserved ?? 0),
    };
  }
  return { status: state?.status, stock };
}

describe('published samples: exact effect on the order and the channel KPIs', () => {
  it('cover every fixture', () => {
    const covered = new Set(CASES.filter((c) => !c.after).map((c) => `${c.source}/${c.name}`));
    const all = (Object.keys(FIXTURE_TOPIC) as Source[]).flatMap((s) => payloadNames(s).map((n) => `${s}/${n}`));
    expect(all.filter((f) => !covered.has(f))).toEqual([]);
  });

  it.each(CASES.map((c) => ({ ...c, label: c.after ? `${c.name} after ${c.after}` : c.name })))(
    '$source $label',
    async (c) => {
      // Prepare: the merchant's set-up for everything the samples name, and the order followed up
      const events = [...(c.after ? eventsOf(c.source, c.after) : []), ...eventsOf(c.source, c.name)];
      const table = new MemoryTable();
      await applyEvents(table, setupEvents(events, c.source), fixedClock());
      const locationMap = locationMapOf(events);
      let position = await foldMemory(table, { nowMs: Date.parse(TEST_NOW) });
      if (c.after) {
        await send(table, c.source, c.after, locationMap);
        position = await foldMemory(table, { position, nowMs: Date.parse(TEST_NOW) });
      }
      const before = hourFigures(table.items());
      const daysBefore = rollups(table.items(), 'kpi-day');
      const monthsBefore = rollups(table.items(), 'kpi-month');

      // Act
      await send(table, c.source, c.name, locationMap);
      await foldMemory(table, { position, nowMs: Date.parse(TEST_NOW) });

      // Assess
      const expected = c.expected();
      const items = table.items();
      const change = kpiChange(hourFigures(items), before);
      const expectedChange = c.before ? kpiChange(expected.kpi, c.before().kpi) : expected.kpi;
      expect(change).toEqual(expectedChange);
      // the day and month rollups change by the same figures, in the day and month of the hour
      expect(kpiChange(rollups(items, 'kpi-day'), daysBefore)).toEqual(byPeriod(expectedChange, 10));
      expect(kpiChange(rollups(items, 'kpi-month'), monthsBefore)).toEqual(byPeriod(expectedChange, 7));
      if (expected.order) expect(orderSeen(items, Object.keys(expected.order.stock))).toEqual(expected.order);
      else expect(items.filter((i) => i.type === 'order')).toEqual([]);
      if (expected.hydrates)
        expect(items.filter((i) => i.type === 'hydration').map((i) => String(i.pk).split('#').at(-1))).toEqual([
          expected.hydrates,
        ]);
    },
  );
});
