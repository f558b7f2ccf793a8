import { emptyFigures, type KpiFigures } from '#shared/kpi/kpi-figures.ts';
import type { OrderItemBody } from '#shared/normalize/order-state.ts';
import { keys } from '#shared/table/keys.ts';
import type { Item, WriteOp } from '#shared/table/port.ts';
import { conditionExpression, eq, notExists } from '#shared/table/expression.ts';

/**
 * Repeat customers, decided by creation time, not arrival (docs/kpis.md). Each (channel, customer
 * hash) has one item holding the customer's first order: `first` = `<creation time, ISO ms>#<order
 * id>`, the least such mark of every order of the customer the hub has stored. The normalizer
 * lowers it, by its own conditional write after the order's (shared/kpi/customer-items.ts), whenever
 * a stored order has an earlier mark (a minimum: any arrival order gives the same item). Its stream record tells the fold where the
 * first order moved from and to, so the `newCustomers` counter is re-marked exactly once per
 * change: −1 where the old first order was created, +1 where the new one was. Repeat orders of a
 * period are then `identified − newCustomers`.
 */
export function firstMark(createdAt: string, orderId: string): string {
  return `${new Date(createdAt).toISOString()}#${orderId}`;
}

/** The write that records the order as its customer's first, when it is earlier than the stored one. */
export function customerMarkOp(current: Item | undefined, order: OrderItemBody): WriteOp | undefined {
  const s = order.state;
  if (!s?.customer) return undefined;
  const mark = firstMark(s.createdAt, order.orderId);
  const stored = typeof current?.first === 'string' ? current.first : undefined;
  if (stored !== undefined && stored <= mark) return undefined;
  const key = keys.customer(order.channel, s.customer);
  const item: Item = { ...key, type: 'customer', channel: order.channel, first: mark };
  return stored === undefined
    ? { kind: 'put', item, ...conditionExpression(notExists('pk')) }
    : { kind: 'put', item, ...conditionExpression(eq('first', stored)) };
}

/** What a customer item (a stream image) contributes: one new customer where its first order was created. */
export function kpiOfCustomerItem(
  item: Item | undefined,
): { channel: string; at: string; figures: KpiFigures } | undefined {
  if (item?.type !== 'customer' || typeof item.channel !== 'string' || typeof item.first !== 'string') return undefined;
  const at = item.first.slice(0, item.first.indexOf('#'));
  if (Number.isNaN(Date.parse(at))) throw new Error(`customer item ${String(item.pk)}: unreadable first mark`);
  return { channel: item.channel, at, figures: { ...emptyFigures(), newCustomers: 1 } };
}
