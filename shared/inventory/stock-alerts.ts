import { z } from 'zod';
import type { ApiKeyRecord } from '#shared/aws/api-keys.ts';
import { requireScope, visibleLocations } from '#shared/http/auth.ts';
import { parseInput } from '#shared/http/api.ts';
import { assignReservations, UNASSIGNED_LOCATION } from '#shared/inventory/locations.ts';
import type { BalanceListPort, BalanceRow } from '#shared/inventory/ports.ts';
import { forEachLimit } from '#shared/domain/pool.ts';

/** Stock alerts (GET /v1/kpis/stock-alerts): current oversells and low stock, within the key's locations. */

/** a balance as the stock read side serves it, without its revision */
export type StockAlertRow = Omit<BalanceRow, 'rev'>;

export interface StockAlertsPort {
  /** balances with available ≤ threshold, reading at most `maxScanned` balances */
  lowBalances(q: {
    threshold: number;
    locations?: readonly string[];
    maxScanned: number;
  }): Promise<{ rows: StockAlertRow[]; truncated: boolean }>;
  /** every balance of one SKU (to judge reservations that named no location against its total) */
  balancesOf(sku: string): Promise<StockAlertRow[]>;
}

/** Directory entries asked for per request (a Query page; their balances are read 100 at a time). */
const DIRECTORY_PAGE = 1000;

/**
 * Balances with available ≤ threshold, from the balance directory: its partitions are listed in
 * parallel, each up to its share of `maxScanned` directory entries, and the balances of the entries
 * at the wanted locations are read. `truncated`: some partition had more entries than its share.
 */
export async function lowBalancesIn(
  list: BalanceListPort,
  q: { threshold: number; locations?: readonly string[]; maxScanned: number },
): Promise<{ rows: StockAlertRow[]; truncated: boolean }> {
  const wanted = q.locations ? new Set(q.locations) : undefined;
  const perShard = Math.ceil(q.maxScanned / list.directoryShards);
  const rows: StockAlertRow[] = [];
  let truncated = false;
  await forEachLimit(list.directoryShards, list.directoryShards, async (shard) => {
    let after: string | undefined;
    let seen = 0;
    for (;;) {
      const { entries, done } = await list.directory({
        shard,
        ...(after !== undefined ? { after } : {}),
        limit: Math.min(DIRECTORY_PAGE, perShard - seen),
      });
      seen += entries.length;
      const want = entries.filter((e) => !wanted || wanted.has(e.location));
      for (const b of want.length > 0 ? await list.balances(want) : [])
        if (b.available <= q.threshold) {
          const { rev: _rev, ...row } = b;
          rows.push(row);
        }
      if (done) return;
      after = entries[entries.length - 1]?.sk ?? after;
      if (seen >= perShard) {
        // more entries remain beyond this partition's share (or a last empty page: look once)
        const more = await list.directory({ shard, ...(after !== undefined ? { after } : {}), limit: 1 });
        if (more.entries.length > 0) truncated = true;
        return;
      }
    }
  });
  return { rows, truncated };
}

const AlertsQuerySchema = z.object({
  threshold: z.coerce.number().int().min(0).max(1_000_000).default(5),
  limit: z.coerce.number().int().min(1).max(1_000).default(200),
});

/**
 * Balances read per request at most. Listing low stock reads every balance (through the balance directory: lowBalancesIn);
 * this caps one request's cost, and the answer says `truncated` when it stopped early.
 */
export const MAX_BALANCES_SCANNED = 50_000;

export interface StockAlertsAnswer {
  threshold: number;
  /** balances with available < 0 (sold more than there is), most oversold first */
  oversold: StockAlertRow[];
  /** balances with 0 ≤ available ≤ threshold, lowest first */
  lowStock: StockAlertRow[];
  truncated: boolean;
}

/** GET /v1/kpis/stock-alerts: current oversells and low stock, within the key's locations. */
export async function readStockAlerts(
  deps: { stockAlerts: StockAlertsPort },
  key: ApiKeyRecord,
  raw: Record<string, string | undefined>,
): Promise<StockAlertsAnswer> {
  // the answer lists balances (on hand, reserved, available) as GET /v1/stock does, and a high
  // threshold lists all of them: the same scope as the stock API, not KPI access alone
  requireScope(key, 'stock:read');
  const q = parseInput(AlertsQuerySchema, raw, 'invalid_query');
  const locations = visibleLocations(key);
  if (locations && locations.length === 0)
    return { threshold: q.threshold, oversold: [], lowStock: [], truncated: false };
  const { rows: found, truncated } = await deps.stockAlerts.lowBalances({
    threshold: q.threshold,
    maxScanned: MAX_BALANCES_SCANNED,
    ...(locations ? { locations } : {}),
  });
  const rows = await withUnassignedResolved(deps.stockAlerts, found, q.threshold);
  const order = (a: StockAlertRow, b: StockAlertRow) =>
    a.available - b.available || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.location < b.location ? -1 : 1);
  const sorted = rows.filter((r) => r.available <= q.threshold).sort(order);
  const oversold = sorted.filter((r) => r.available < 0);
  const lowStock = sorted.filter((r) => r.available >= 0);
  return {
    threshold: q.threshold,
    oversold: oversold.slice(0, q.limit),
    lowStock: lowStock.slice(0, q.limit),
    truncated: truncated || oversold.length > q.limit || lowStock.length > q.limit,
  };
}

/**
 * A balance at UNASSIGNED_LOCATION holds reservations of orders that named no location: it is
 * never an alert of its own (shared/inventory/locations.ts). Its SKU is judged on all its
 * balances: a SKU stocked at one location shows the reservation there; otherwise one row for the
 * SKU as a whole (location `*`) with its total available, when that is at or below the threshold.
 */
async function withUnassignedResolved(
  port: StockAlertsPort,
  rows: StockAlertRow[],
  threshold: number,
): Promise<StockAlertRow[]> {
  const skus = [...new Set(rows.filter((r) => r.location === UNASSIGNED_LOCATION).map((r) => r.sku))];
  if (skus.length === 0) return rows;
  const resolved = new Map<string, StockAlertRow[]>();
  await Promise.all(
    skus.map(async (sku) => {
      const all = await port.balancesOf(sku);
      const { locations, unassignedReserved } = assignReservations(all);
      const out = locations.filter((l) => l.available <= threshold);
      if (unassignedReserved > 0) {
        const total = locations.reduce((n, l) => n + l.available, 0) - unassignedReserved;
        const latest = all.reduce((t, l) => (l.updatedAt > t ? l.updatedAt : t), '');
        const onHand = locations.reduce((n, l) => n + l.onHand, 0);
        const reserved = locations.reduce((n, l) => n + l.reserved, 0) + unassignedReserved;
        if (total <= threshold)
          out.push({ sku, location: UNASSIGNED_LOCATION, onHand, reserved, available: total, updatedAt: latest });
      }
      resolved.set(sku, out);
    }),
  );
  return [...rows.filter((r) => !resolved.has(r.sku)), ...[...resolved.values()].flat()];
}
