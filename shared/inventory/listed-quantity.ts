import type { ListedQuantityReported } from '#shared/domain/events.ts';
import { iso } from '#shared/inventory/balance.ts';
import { keys } from '#shared/table/keys.ts';
import type { TablePort } from '#shared/table/port.ts';
import { conditionExpression, eq, notExists } from '#shared/table/expression.ts';

/**
 * Applies a channel's listed quantity to its listing-state item (one per channel and SKU): the
 * newest `asOf` wins, so a redelivered or late notification writes nothing. A report as old as
 * the stored one is a no-op too: the same notification delivered twice must not write twice.
 *
 * `consistent: false` reads the item eventually consistently (half a read unit): a stale item is
 * an older one, whose `asOf` is no newer than the stored one, so a no-op it decides is one the
 * stored item decides too, and a write it plans fails its condition (the `asOf` read) and is
 * planned again from a strongly consistent read (withConflictRetry, shared/normalize/apply.ts).
 */
export async function applyListedQuantity(
  table: TablePort,
  e: ListedQuantityReported,
  consistent = true,
): Promise<'applied' | 'noop'> {
  const key = keys.listed(e.sku, e.channel);
  const current = await table.get(key, { consistent });
  const asOf = iso(e.asOf);
  if (current && typeof current.asOf === 'string' && current.asOf >= asOf) return 'noop';
  await table.write([
    {
      kind: 'put',
      item: {
        ...key,
        type: 'listed',
        channel: e.channel,
        sku: e.sku,
        quantity: e.quantity,
        asOf,
        ...(e.fulfillmentChannel ? { fulfillmentChannel: e.fulfillmentChannel } : {}),
        source: e.source,
        deliveryId: e.deliveryId,
      },
      // lost race → WriteConflictError → re-read and decide again
      ...conditionExpression(current ? eq('asOf', current.asOf) : notExists('pk')),
    },
  ]);
  return 'applied';
}
