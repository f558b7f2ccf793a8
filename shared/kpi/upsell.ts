import { keyPartProblem } from '#shared/domain/key-part.ts';
import { emptyFigures, type KpiFigures } from '#shared/kpi/kpi-figures.ts';
import { firstMark } from '#shared/kpi/customers.ts';
import type { OrderItemBody } from '#shared/normalize/order-state.ts';
import { keys } from '#shared/table/keys.ts';
import type { Item, WriteOp } from '#shared/table/port.ts';

/**
 * The upsell rate (docs/kpis.md), decided by creation time, not arrival. A *repeat purchase* is a
 * product on an order whose customer bought that product on the same channel in an earlier order
 * (earliest creation time, then order id); it is an *upsell* when its unit price is higher than in
 * the customer's earliest order of the product, in the same currency — a dearer variant (Shopify's
 * and WooCommerce's variants share their product's `product_id`), or the same item bought again
 * at a higher price.
 *
 * Each (channel, customer hash, product) has one item listing the customer's orders of the product:
 * `o` = { <order id>: `<creation time, ISO ms>|<unit price, minor units>|<currency>` }, written after
 * the order by its own conditional put (shared/kpi/customer-items.ts says how that stays exactly
 * once). The list is a set keyed by order id and holds what the order's stored state says, so any
 * arrival order gives the same item; it keeps the MAX_PURCHASES earliest orders (a fixed function
 * of the set, so still order-independent). Beside it, `v` = { <order id>: <the order's purchases
 * version, `pv`> } says which version of each order last set (or took back) its entry: a write
 * for an older version is refused, so a slow writer never puts back what a newer one replaced. The
 * fold reads the item's change from the stream like an order's: what the old list contributed is
 * taken off and what the new one contributes is added, each repeat purchase at its own order's
 * creation time — so an earlier order arriving late re-judges every later purchase exactly once
 * per counter watermark.
 */

/** Orders of one customer's product kept (the earliest): about 50 bytes each, so ≤ 5 KB an item. */
export const MAX_PURCHASES = 100;
/** Products of one order recorded (by product id): an order's writes stay few and small. */
export const MAX_PRODUCTS_PER_ORDER = 20;

export interface Purchase {
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

/** The purchases version that last set each order's entry (`v`); an item written before versions: none (0). */
function versionsOf(item: Item | undefined): Record<string, number> {
  const v = item?.v;
  if (!v || typeof v !== 'object') return {};
  const out: Record<string, number> = {};
  for (const [id, n] of Object.entries(v as Record<string, unknown>)) if (typeof n === 'number') out[id] = n;
  return out;
}

/**
 * The write that makes a customer-product item hold `purchase` for `orderId` (or no entry for it,
 * when `purchase` is undefined) as the order's purchases version `pv` says, conditional on the
 * item being as read; undefined when the item already holds that version of the entry or a newer
 * one's. Versions are compared, not entries: an older version's writer must not put back what a
 * newer one set, even where the newest says what an older one did (shared/kpi/customer-items.ts).
 */
export function purchaseOp(
  current: Item | undefined,
  channel: string,
  customer: string,
  product: string,
  orderId: string,
  purchase: Purchase | undefined,
  pv: number,
): WriteOp | undefined {
  const versions = versionsOf(current);
  if ((versions[orderId] ?? 0) >= pv) return undefined;
  const list = listOf(current).filter((p) => p.orderId !== orderId);
  if (purchase) list.push(purchase);
  const kept = list.sort(byMark).slice(0, MAX_PURCHASES);
  const o = Object.fromEntries(kept.map((p) => [p.orderId, entryOf(p)]));
  const rev = Number(current?.rev ?? 0);
  const item: Item = {
    ...keys.customerProduct(channel, customer, product),
    type: 'customer-product',
    channel,
    o,
    v: { ...versions, [orderId]: pv },
    rev: rev + 1,
  };
  return current === undefined
    ? { kind: 'put', item, condition: 'attribute_not_exists(pk)' }
    : { kind: 'put', item, condition: '#r = :r', names: { '#r': 'rev' }, values: { ':r': rev } };
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
