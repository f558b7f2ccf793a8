import { hourCountersOf } from '#shared/kpi/fold.ts';
import { keys } from '#shared/table/keys.ts';
import type { Item, TablePort } from '#shared/table/port.ts';

/** One UTC hour's KPI counter as the API reads it (from its day's hour-counter item), or undefined. */
export async function hourCounter(
  table: Pick<TablePort, 'get'>,
  channel: string,
  hour: string,
): Promise<Item | undefined> {
  const day = await table.get(keys.kpiHours(channel, hour.slice(0, 10), 0));
  return day ? hourCountersOf(day).find((h) => h.hour === hour) : undefined;
}
