import {
  foldStreamBatch,
  resolveRollupZone,
  type FoldDeps,
  type FoldEvents,
  type FoldResult,
} from '#shared/stream/fold-apply.ts';
import type { StockEventListeners } from '#shared/outbound/listeners.ts';
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
 * would hand them over (the stream's BatchSize), from `position` on, through the fold's own entry
 * (foldStreamBatch), listeners check included. Returns the position after the last record folded.
 */
export async function foldMemory(
  table: MemoryTable,
  opts: {
    position?: number;
    batchSize?: number;
    zone?: string;
    nowMs?: number;
    onBatch?: (r: FoldResult) => void;
    /**
     * the channels and publisher of stock-change events of a hub where something listens (a
     * subscription, a pushed channel); absent: nothing listens and the fold derives no events
     */
    events?: FoldEvents;
  } = {},
): Promise<number> {
  const zone = await resolveRollupZone(table, opts.zone ?? 'UTC');
  const deps: FoldDeps = {
    table,
    rollupZone: async () => zone,
    now: opts.nowMs === undefined ? Date.now : () => opts.nowMs!,
    channels: opts.events?.channels ?? { list: async () => [] },
    publisher: opts.events?.publisher ?? { publish: async () => {} },
    listeners: memoryListeners(opts.events !== undefined),
  };
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
    const r = await foldStreamBatch(deps, MEMORY_SHARD, changes, counted);
    opts.onBatch?.(r);
    const lastCounted = counted.at(-1)?.seq;
    if (lastCounted !== undefined) countedUpTo.set(table, later(countedUpTo.get(table), lastCounted)!);
    position = next;
    if (end === undefined) return position;
    last = end;
  }
}

/**
 * The bench's listeners: a fixed answer (a hub priced with outbound has a subscriber and pushed
 * channels; one priced without has neither), where the deployed fold asks the table
 * (shared/aws/listeners.ts).
 */
export function memoryListeners(listening: boolean): StockEventListeners {
  return { any: async () => listening };
}

/**
 * Stock-change events as the bench derives them when something listens: for every channel that
 * has orders in the stream (the channels a hub with those connections lists), published nowhere
 * (their delivery is priced on its own). Pass it as foldMemory's `events` to fold as a hub with
 * listeners does.
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
