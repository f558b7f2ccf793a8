import { availableToSell } from '#shared/inventory/allocation.ts';
import type { AllocationRule } from '#shared/inventory/channel-config.ts';
import { assignReservations } from '#shared/inventory/locations.ts';
import type { ChannelPort } from '#shared/inventory/ports.ts';
import type { StockChangeEvent } from '#shared/outbound/events.ts';
import { conditionExpression, eq, notExists } from '#shared/table/expression.ts';
import { WriteConflictError, type Item, type TablePort } from '#shared/table/port.ts';

/**
 * Stock-change events (shared/outbound/events.ts), derived by the stream fold once a batch's
 * balance writes have committed, coalesced per batch:
 *
 * - one `stock.balance.changed` per balance (SKU × location) the batch folded into, carrying the
 *   balance as it stands and its `rev` as the version (every write of a balance, fold, count or
 *   adjustment, raises `rev` by one, so it is monotonic per balance and a retried batch that finds
 *   its changes folded already reports the same rev again);
 * - one `stock.available.changed` per (channel, SKU) whose available-to-sell differs from the last
 *   value emitted for it. The channels of a SKU are every channel the hub lists (configured,
 *   connected, or with KPI data: the channel port) and every channel that reports listing the SKU
 *   (`LISTED#<channel>`); a channel without allocation rules gets the SKU's available.
 *
 * The last value emitted per (channel, SKU) and its version live in one item per SKU
 * (`SKU#<sku>` / `ATS#`, beside its balances so one query reads both), together with the batch
 * that emitted it. A value that changed gets the next version, written with a condition on the
 * item's `rev` before the events are published; a retried batch that finds its own value stored
 * there publishes it again with the same id and version; a batch that finds another batch's newer
 * value stored publishes nothing for it (the newer event supersedes).
 */

export const ATS_SK = 'ATS#';

interface EmittedValue {
  /** available-to-sell emitted */
  q: number;
  /** version */
  n: number;
  /** the batch that emitted it (`<shard>#<last sequence number>`) */
  b: string;
}

export interface TouchedBalance {
  sku: string;
  location: string;
}

const MAX_ATTEMPTS = 8;
/** SKUs derived at once: enough to hide latency, few enough not to throttle the table. */
const CONCURRENCY = 16;

export async function deriveStockEvents(
  table: TablePort,
  channels: ChannelPort,
  /** identifies the batch: the same on every retry of it */
  batchKey: string,
  touched: readonly TouchedBalance[],
  nowMs: number,
): Promise<StockChangeEvent[]> {
  if (touched.length === 0) return [];
  const at = new Date(nowMs).toISOString();
  const listed = await channels.list();
  const bySku = new Map<string, Set<string>>();
  for (const t of touched) {
    let s = bySku.get(t.sku);
    if (!s) bySku.set(t.sku, (s = new Set()));
    s.add(t.location);
  }
  const skus = [...bySku.keys()].sort();
  const out: StockChangeEvent[][] = skus.map(() => []);
  let next = 0;
  const worker = async () => {
    while (next < skus.length) {
      const i = next++;
      const sku = skus[i]!;
      out[i] = await deriveSku(table, listed, batchKey, sku, bySku.get(sku)!, at);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, skus.length) }, worker));
  return out.flat();
}

async function deriveSku(
  table: TablePort,
  configs: readonly { channel: string; allocation?: AllocationRule }[],
  batchKey: string,
  sku: string,
  locations: ReadonlySet<string>,
  at: string,
): Promise<StockChangeEvent[]> {
  const pk = `SKU#${sku}`;
  for (let attempt = 1; ; attempt++) {
    // the SKU's emitted values, listed quantities and balances: one range (`ATS#` < `LISTED#` < `LOC#`)
    const items = await table.queryBetween(pk, 'ATS', 'LOC$');
    const state = items.find((it) => it.sk === ATS_SK);
    const balances = items
      .filter((it) => String(it.sk).startsWith('LOC#'))
      .map((it) => ({
        location: String(it.location ?? String(it.sk).slice(4)),
        onHand: Number(it.onHand ?? 0),
        reserved: Number(it.reserved ?? 0),
        available: Number(it.available ?? 0),
        rev: Number(it.rev ?? 0),
      }));
    const events: StockChangeEvent[] = [];
    for (const b of balances) {
      if (!locations.has(b.location)) continue;
      events.push({
        type: 'stock.balance.changed',
        id: `bal:${sku}:${b.location}:${b.rev}`,
        at,
        data: {
          sku,
          location: b.location,
          onHand: b.onHand,
          reserved: b.reserved,
          available: b.available,
          version: b.rev,
        },
      });
    }
    const rules = new Map<string, AllocationRule>();
    for (const c of configs) rules.set(c.channel, c.allocation ?? {});
    for (const it of items) {
      const sk = String(it.sk);
      if (sk.startsWith('LISTED#') && !rules.has(sk.slice(7))) rules.set(sk.slice(7), {});
    }
    const { locations: assigned, unassignedReserved } = assignReservations(balances);
    const emitted = (state?.ch ?? {}) as Record<string, EmittedValue>;
    const updated: Record<string, EmittedValue> = { ...emitted };
    let changed = false;
    for (const channel of [...rules.keys()].sort()) {
      const q = availableToSell(assigned, rules.get(channel), unassignedReserved);
      const last = emitted[channel];
      let value: EmittedValue;
      if (!last || last.q !== q) {
        value = { q, n: (last?.n ?? 0) + 1, b: batchKey };
        updated[channel] = value;
        changed = true;
      } else if (last.b === batchKey) value = last;
      else continue;
      events.push({
        type: 'stock.available.changed',
        id: `avail:${channel}:${sku}:${value.n}`,
        at,
        data: { channel, sku, availableToSell: value.q, version: value.n },
      });
    }
    if (!changed) return events;
    const rev = Number(state?.rev ?? 0);
    const item: Item = { pk, sk: ATS_SK, type: 'ats', sku, ch: updated, rev: rev + 1 };
    try {
      await table.write([{ kind: 'put', item, ...conditionExpression(state ? eq('rev', rev) : notExists('pk')) }]);
      return events;
    } catch (err) {
      // another batch (another shard) derived this SKU in between: read again and derive again
      if (!(err instanceof WriteConflictError) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}
