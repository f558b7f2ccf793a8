import { retryOnConflict } from '#shared/table/conflict.ts';
import { stableStringify } from '#shared/domain/stable-json.ts';
import { customerMarkOp, firstMark } from '#shared/kpi/customers.ts';
import { type Purchase, purchaseOp, purchasesOf } from '#shared/kpi/upsell.ts';
import { orderBodyOfItem, type OrderItemBody } from '#shared/normalize/order-state.ts';
import { keys } from '#shared/table/keys.ts';
import type { Item, ReadOptions, TablePort, WriteOp } from '#shared/table/port.ts';

/**
 * The customer items an identified order keeps up to date — its customer's first-order mark
 * (shared/kpi/customers.ts) and one purchase list per (customer, product) (shared/kpi/upsell.ts) —
 * written AFTER the order, each by a plain conditional put, not in a transaction with it: a
 * transaction bills every item twice, so a new identified order of two products cost 2 × (order +
 * mark + 2 lists) write units; now it costs each item once.
 *
 * What makes that exactly once:
 *  - Only a stored order version writes customer items (the order's put comes first and is
 *    conditional on its `rev`), so an attempt that lost the race for the order writes none: no
 *    entry of a version that was never stored can exist.
 *  - The order item carries `pv`, its *purchases version*: the `rev` at which what it says of its
 *    customer (customer hash, first mark, purchases) last changed, and `gone`, every (customer,
 *    product) an earlier stored version named and this one does not (accumulated, so a version
 *    whose settle never ran is covered by the next). Stored versions with one `pv` say the same.
 *  - A purchase list records per order the `pv` that last set or took back its entry (`v`); a
 *    write for a `pv` not above the recorded one is skipped, so a slow writer of an older version
 *    never puts back what a newer one set, and a taken-back entry stays taken back. The first
 *    mark is a minimum over stored versions, so it needs no version: any order of writes gives it.
 *  - `settleCustomerItems(order item)` makes every item the order names, or names in `gone`, hold
 *    what that version says. It runs after a put that changed `pv`, and on every delivery of the
 *    order that changes nothing (a redelivery, a stale or a duplicate delivery): so an earlier
 *    attempt that stored the order and failed before (or between) its customer writes is finished
 *    by the queue's redelivery of the same message. Until then the KPIs lag the order, never count
 *    it twice; a message that reaches the DLQ is finished by its replay.
 *
 * Interleavings (A, B two deliveries of one order; "put" the order's conditional put, "settle" the
 * customer writes; each customer write is conditional on the item's own `rev` and re-planned when
 * it loses a race):
 *  1. A put, A settle — the plain path: order, then each customer item once.
 *  2. A put, crash — A's message comes back, its merge changes nothing, it settles A's version.
 *  3. A put, B put, B settle, A settle — B's `pv` is at least A's; where B changed purchases its
 *     `pv` is higher, so A's late writes are skipped item by item (`v`); where not, A writes what
 *     B already holds (skipped as well: same `pv`).
 *  4. A put, B put, A settle, B settle — B's writes replace A's (higher `v`) and take back, by
 *     `gone`, what A named and B does not; with the same `pv` they are skipped.
 *  5. A put, B put (crash before settle), A settle — B's redelivery finds its merge stored and
 *     settles B's version; `gone` on B still names what A's predecessors named.
 *  6. A reads, B put, A put fails (stale `rev`) — A re-reads: its merge is either stored already
 *     (it settles B's version, a no-op when B settled) or merges into B's and goes on as 1.
 *  7. A stale delivery (older than the stored version) — its merge changes nothing; it settles the
 *     stored version, which is done already (reads only) or finishes a crashed attempt's work.
 *  8. Items written before purchase versions (no `pv` on the order, no `v` on the list) were
 *     written in one transaction with their order, so they hold what it says: such an order has
 *     `pv` 0 and is rewritten only when its purchases change, at the `pv` of that version.
 */

/** What an order version says of its customer: when this changes, `pv` moves to the new version's `rev`. */
function fingerprint(order: OrderItemBody): string {
  const s = order.state;
  if (!s?.customer) return '';
  return stableStringify({
    customer: s.customer,
    first: firstMark(s.createdAt, order.orderId),
    purchases: Object.fromEntries(purchasesOf(order)),
  });
}

/** The (customer, product) items an order version names, as `gone` lists them. */
function productKeys(order: OrderItemBody): string[] {
  const customer = order.state?.customer;
  return customer ? [...purchasesOf(order).keys()].map((p) => JSON.stringify([customer, p])) : [];
}

function goneOf(item: Item | undefined): string[] {
  return Array.isArray(item?.gone) ? item.gone.filter((g): g is string => typeof g === 'string') : [];
}

/** The customer bookkeeping attributes of an order version to be stored over `current`. */
export function customerAttributes(
  current: Item | undefined,
  before: OrderItemBody,
  after: OrderItemBody,
  rev: number,
): { pv?: number; gone?: string[]; settle: boolean } {
  const pv = Number(current?.pv ?? 0);
  const gone = goneOf(current);
  if (fingerprint(before) === fingerprint(after))
    return { ...(pv ? { pv } : {}), ...(gone.length ? { gone } : {}), settle: false };
  const named = new Set(productKeys(after));
  const next = [...new Set([...gone, ...productKeys(before)])].filter((k) => !named.has(k)).sort();
  return { pv: rev, ...(next.length ? { gone: next } : {}), settle: true };
}

/**
 * Makes the customer items a stored order version names hold what it says (see above): its
 * customer's first mark lowered to it where earlier, its purchase of each product listed, and the
 * entries of `gone` items taken back. Reads each item (`consistent` as for the order; every retry
 * strongly) and writes only those behind, each by itself. Returns how many it wrote.
 */
export async function settleCustomerItems(table: TablePort, orderItem: Item, opts: ReadOptions): Promise<number> {
  const order = orderBodyOfItem(orderItem);
  const customer = order.state?.customer;
  const gone = goneOf(orderItem);
  if (!customer && gone.length === 0) return 0;
  const pv = Number(orderItem.pv ?? 0);
  const wanted = new Map<string, { customer: string; product: string; purchase: Purchase | undefined }>();
  if (customer)
    for (const [product, purchase] of purchasesOf(order))
      wanted.set(JSON.stringify([customer, product]), { customer, product, purchase });
  for (const g of gone) {
    if (wanted.has(g)) continue;
    const [c, p] = JSON.parse(g) as [string, string];
    wanted.set(g, { customer: c, product: p, purchase: undefined });
  }
  return retryOnConflict(
    async (n) => {
      const read = { consistent: opts.consistent === true || n > 1 };
      const planned = await Promise.all([
        customer
          ? table.get(keys.customer(order.channel, customer), read).then((cur) => customerMarkOp(cur, order))
          : undefined,
        ...[...wanted.values()].map(async (w) =>
          purchaseOp(
            await table.get(keys.customerProduct(order.channel, w.customer, w.product), read),
            order.channel,
            w.customer,
            w.product,
            order.orderId,
            w.purchase,
            pv,
          ),
        ),
      ]);
      const ops = planned.filter((op): op is WriteOp => op !== undefined);
      // each by itself: a lost race re-plans all of them (those already written are then skipped)
      const results = await Promise.allSettled(ops.map((op) => table.write([op])));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      return ops.length;
    },
    (n) => new Promise((r) => setTimeout(r, Math.random() * 10 * n)),
  );
}
