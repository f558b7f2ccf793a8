import { keyPartProblem } from '#shared/domain/key-part.ts';
import { emptyFigures, type KpiFigures } from '#shared/kpi/kpi-figures.ts';
import { firstMark } from '#shared/kpi/customers.ts';
import type { OrderItemBody } from '#shared/normalize/order-state.ts';
import { keys } from '#shared/table/keys.ts';
import type { Item, ReadOptions, TablePort, WriteOp } from '#shared/table/port.ts';

/**
 * The upsell rate (docs/kpis.md), decided by creation time, not arrival. A *repeat purchase* is a
 * product on an order whose customer bought that product on the same channel in an earlier order
 * (earliest creation time, then order id); it is an *upsell* when its unit price is higher than in
 * the customer's earliest order of the product, in the same currency — a dearer variant (Shopify's
 * and WooCommerce's variants share their product's `product_id`), or the same item bought again
 * at a higher price.
 *
 * Each (channel, customer hash, product) has one item listing the customer's orders of the product:
 * `o` = { <order id>: `<creation time, ISO ms>|<unit price, minor units>|<currency>` }, written in
 * the same transaction as the order. The list is a set keyed by order id and holds what the order's
 * merged state says (newest version wins), so any arrival order gives the same item; it keeps the
 * MAX_PURCHASES earliest orders (a fixed function of the set, so still order-independent). The
 * fold reads the item's change from the stream like an order's: what the old list contributed is
 * taken off and what the new one contributes is added, each repeat purchase at its own order's
 * creation time — so an earlier order arriving late re-judges every later purchase exactly once
 * per counter watermark.
 */

/** Orders of one customer's product kept (the earliest): about 50 bytes each, so ≤ 5 KB an item. */
export const MAX_PURCHASES = 100;
/** Products of one order recorded (by product id): the order's write stays one small transaction. */
export const MAX_PRODUCTS_PER_ORDER = 20;

interface Purchase {
  orderId: string;
  at: string;
  unitMinor: number;
  currency: string;
}

function entryOf(p: Purchase): string {
  return `${p.at}|${p.unitMinor}|${p.currency}`;
}

function purchaseOf(orderId: string, entry: unknown): Purchase | undefined {
  if (typeof entry !== 'string') return undefined;
  const [at, unit, currency] = entry.split('|');
  const unitMinor = Number(unit);
  if (!at || !currency || !Number.isSafeInteger(unitMinor) || Number.isNaN(Date.parse(at))) return undefined;
  return { orderId, at, unitMinor, currency };
}

const markOf = (p: Purchase) => firstMark(p.at, p.orderId);
const byMark = (a: Purchase, b: Purchase) => (markOf(a) < markOf(b) ? -1 : markOf(a) > markOf(b) ? 1 : 0);

/**
 * What an order says its customer bought: per product, the highest unit price among its priced
 * lines of that product. Products whose id cannot be a key part, and past the first
 * MAX_PRODUCTS_PER_ORDER by id, are left out.
 */
export function purchasesOf(order: OrderItemBody): Map<string, Purchase> {
  const s = order.state;
  const out = new Map<string, Purchase>();
  if (!s?.customer || !s.currency) return out;
  const at = new Date(s.createdAt).toISOString();
  for (const l of s.lines) {
    if (l.product === undefined || l.unitMinor === undefined || keyPartProblem(l.product)) continue;
    const seen = out.get(l.product);
    if (!seen || l.unitMinor > seen.unitMinor)
      out.set(l.product, { orderId: order.orderId, at, unitMinor: l.unitMinor, currency: s.currency });
  }
  const kept = [...out.keys()].sort().slice(0, MAX_PRODUCTS_PER_ORDER);
  return new Map(kept.map((p) => [p, out.get(p)!]));
}

/** The purchase lists an item holds, earliest first. */
function listOf(item: Item | undefined): Purchase[] {
  const o = item?.o;
  if (!o || typeof o !== 'object') return [];
  return Object.entries(o as Record<string, unknown>)
    .map(([id, e]) => purchaseOf(id, e))
    .filter((p): p is Purchase => p !== undefined)
    .sort(byMark);
}

/**
 * The write that makes a customer-product item hold `purchase` for `orderId` (or no entry for it,
 * when `purchase` is undefined), conditional on the item being as read; undefined when it already
 * does.
 */
export function purchaseOp(
  current: Item | undefined,
  channel: string,
  customer: string,
  product: string,
  orderId: string,
  purchase: Purchase | undefined,
): WriteOp | undefined {
  const list = listOf(current).filter((p) => p.orderId !== orderId);
  if (purchase) list.push(purchase);
  const kept = list.sort(byMark).slice(0, MAX_PURCHASES);
  const o = Object.fromEntries(kept.map((p) => [p.orderId, entryOf(p)]));
  const now = Object.fromEntries(listOf(current).map((p) => [p.orderId, entryOf(p)]));
  const same = Object.keys(o).length === Object.keys(now).length && Object.entries(o).every(([id, e]) => now[id] === e);
  if (same) return undefined;
  const rev = Number(current?.rev ?? 0);
  const item: Item = {
    ...keys.customerProduct(channel, customer, product),
    type: 'customer-product',
    channel,
    o,
    rev: rev + 1,
  };
  return current === undefined
    ? { kind: 'put', item, condition: 'attribute_not_exists(pk)' }
    : { kind: 'put', item, condition: '#r = :r', names: { '#r': 'rev' }, values: { ':r': rev } };
}

/**
 * The customer-product writes an order's new version needs: its purchases recorded under its
 * customer, and those of its previous version that it no longer has (a line removed, the customer
 * changed) taken back. Reads each item it may change (`consistent` as for the order).
 */
export async function purchaseOps(
  table: TablePort,
  before: OrderItemBody,
  after: OrderItemBody,
  opts: ReadOptions,
): Promise<WriteOp[]> {
  const wanted = new Map<string, { customer: string; product: string; purchase: Purchase | undefined }>();
  const add = (order: OrderItemBody, keep: boolean) => {
    const customer = order.state?.customer;
    if (!customer) return;
    for (const [product, p] of purchasesOf(order)) {
      const id = JSON.stringify([customer, product]);
      if (keep) wanted.set(id, { customer, product, purchase: p });
      else if (!wanted.has(id)) wanted.set(id, { customer, product, purchase: undefined });
    }
  };
  add(after, true);
  add(before, false);
  if (wanted.size === 0) return [];
  const ops = await Promise.all(
    [...wanted.values()].map(async (w) => {
      const current = await table.get(keys.customerProduct(after.channel, w.customer, w.product), opts);
      return purchaseOp(current, after.channel, w.customer, w.product, after.orderId, w.purchase);
    }),
  );
  return ops.filter((op): op is WriteOp => op !== undefined);
}

/**
 * What a customer-product item (a stream image) contributes: each purchase after the earliest is a
 * repeat purchase where its order was created, and an upsell when dearer than the earliest in the
 * same currency.
 */
export function kpiOfProductItem(item: Item | undefined): { channel: string; at: string; figures: KpiFigures }[] {
  if (item?.type !== 'customer-product' || typeof item.channel !== 'string') return [];
  const [first, ...later] = listOf(item);
  if (!first) return [];
  const channel = item.channel;
  return later.map((p) => ({
    channel,
    at: p.at,
    figures: {
      ...emptyFigures(),
      repeatPurchases: 1,
      upsells: p.currency === first.currency && p.unitMinor > first.unitMinor ? 1 : 0,
    },
  }));
}
