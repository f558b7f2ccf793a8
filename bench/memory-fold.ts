import { applyFold, resolveRollupZone, type FoldEvents, type FoldResult } from '#shared/stream/fold-apply.ts';
import { BALANCE_MAX_BYTES } from '#shared/inventory/stock-fold.ts';
import type { StreamChange } from '#shared/stream/watermarks.ts';
import type { MemoryTable } from '#shared/table/memory-table.ts';

/** The shard id the memory table's stream goes by (a DynamoDB-shaped id, created 2023-11-14). */
export const MEMORY_SHARD = 'shardId-00000001700000000000-00000000';

/** per table, the last balance write by normalize handed to a fold batch (a later call goes on after it) */
const countedUpTo = new WeakMap<MemoryTable, string>();

/** the later of two sequence numbers (undefined: none) */
function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return BigInt(a) >= BigInt(b) ? a : b;
}

/**
 * The fold function (stock and KPIs) over a MemoryTable's stream, in batches of `batchSize` records as Lambda
 * would hand them over (the stream's BatchSize), from `position` on. Returns the position after
 * the last record folded.
 */
export async function foldMemory(
  table: MemoryTable,
  opts: {
    position?: number;
    batchSize?: number;
    zone?: string;
    nowMs?: number;
    onBatch?: (r: FoldResult) => void;
    /** the channels and publisher of stock-change events (default: streamEvents over the stream's channels) */
    events?: FoldEvents;
  } = {},
): Promise<number> {
  const events = opts.events ?? streamEvents(table.streamFrom(0).changes);
  const zone = await resolveRollupZone(table, opts.zone ?? 'UTC');
  let position = opts.position ?? 0;
  // the sequence number the previous batch ended at: balance writes by normalize recorded after it
  // (MemoryTable.recordCounted) go with the next batch, as the fold's event filter hands them over
  let last = later(
    position > 0 ? table.streamFrom(position - 1, 1).changes[0]?.seq : undefined,
    countedUpTo.get(table),
  );
  for (;;) {
    const { changes, next } = table.streamFrom(position, opts.batchSize ?? 1000);
    const end = changes.length > 0 ? changes[changes.length - 1]!.seq : undefined;
    const counted = table.countedBetween(last, end);
    if (changes.length === 0 && counted.length === 0) return position;
    const r = await applyFold(
      table,
      MEMORY_SHARD,
      changes,
      zone,
      opts.nowMs ?? Date.now(),
      opts.nowMs === undefined ? Date.now : () => opts.nowMs!,
      BALANCE_MAX_BYTES,
      events,
      counted,
    );
    opts.onBatch?.(r);
    const lastCounted = counted.at(-1)?.seq;
    if (lastCounted !== undefined) countedUpTo.set(table, later(countedUpTo.get(table), lastCounted)!);
    position = next;
    if (end === undefined) return position;
    last = end;
  }
}

/**
 * Stock-change events as the bench derives them: for every channel that has orders in the stream
 * (the channels a hub with those connections lists), published nowhere (their delivery is priced
 * on its own).
 */
export function streamEvents(changes: readonly StreamChange[]): FoldEvents {
  const names = new Set<string>();
  for (const c of changes) {
    const ch = (c.newImage ?? c.oldImage)?.channel;
    if (typeof ch === 'string') names.add(ch);
  }
  const list = [...names].sort().map((channel) => ({ channel, allocation: {} }));
  return {
    channels: { list: async () => list },
    // outbound delivery wires its publisher here
    publisher: { publish: async () => {} },
  };
}
