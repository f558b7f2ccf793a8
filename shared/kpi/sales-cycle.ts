import type { SalesCycleRecorded } from '#shared/domain/events.ts';
import { emptyFigures, type KpiFigures } from '#shared/kpi/kpi-figures.ts';
import { keys } from '#shared/table/keys.ts';
import type { Item, TablePort } from '#shared/table/port.ts';

/**
 * Sales cycles a sender reports apart from its orders (docs/kpis.md): a completed draft order
 * (Shopify `draft_orders/update` with `status: completed`) gives its creation and completion
 * times, and completing a draft is what places its order. Each draft is one item
 * (`keys.draft`) holding the earliest start and end any delivery of it gave — minimums, so
 * redeliveries and any arrival order give the same item. The fold reads its change from the stream
 * like an order's: one quoted sale of (end − start) seconds where it ended, exactly once per counter
 * watermark. The order itself carries no start, so it is not counted twice.
 */
export async function applySalesCycle(
  table: TablePort,
  event: SalesCycleRecorded,
  /**
   * false: the draft is read eventually consistently (half a read unit). A stale draft is an older
   * one, whose times are no earlier than the stored ones (they only move earlier), so a no-op it
   * decides the stored draft decides too, and a write it plans fails its condition (the times
   * read) and is planned again from a strongly consistent read (shared/normalize/apply.ts).
   */
  consistent = true,
): Promise<'applied' | 'noop'> {
  const key = keys.draft(event.channel, event.draftId);
  const current = await table.get(key, { consistent });
  const earliest = (a: unknown, b: string) =>
    typeof a === 'string' && Date.parse(a) <= Date.parse(b) ? a : new Date(b).toISOString();
  const startedAt = earliest(current?.startedAt, event.startedAt);
  const endedAt = earliest(current?.endedAt, event.endedAt);
  if (current && current.startedAt === startedAt && current.endedAt === endedAt) return 'noop';
  const item: Item = { ...key, type: 'draft', channel: event.channel, startedAt, endedAt };
  if (event.orderId !== undefined) item.orderId = event.orderId;
  else if (typeof current?.orderId === 'string') item.orderId = current.orderId;
  await table.write([
    current === undefined
      ? { kind: 'put', item, condition: 'attribute_not_exists(pk)' }
      : {
          kind: 'put',
          item,
          condition: '#s = :s AND #e = :e',
          names: { '#s': 'startedAt', '#e': 'endedAt' },
          values: { ':s': current.startedAt, ':e': current.endedAt },
        },
  ]);
  return 'applied';
}

/** What a draft item (a stream image) contributes: one quoted sale where it ended. */
export function kpiOfDraftItem(
  item: Item | undefined,
): { channel: string; at: string; figures: KpiFigures } | undefined {
  if (item?.type !== 'draft' || typeof item.channel !== 'string') return undefined;
  const start = Date.parse(String(item.startedAt));
  const end = Date.parse(String(item.endedAt));
  if (Number.isNaN(start) || Number.isNaN(end)) throw new Error(`draft item ${String(item.pk)}: unreadable times`);
  if (start > end) return undefined;
  return {
    channel: item.channel,
    at: new Date(end).toISOString(),
    figures: { ...emptyFigures(), quoted: 1, cycleSeconds: Math.round((end - start) / 1000) },
  };
}
