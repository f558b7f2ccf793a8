import { applyFold, resolveRollupZone, type FoldResult } from '#shared/stream/fold-apply.ts';
import type { MemoryTable } from '#shared/table/memory-table.ts';

/** The shard id the memory table's stream goes by (a DynamoDB-shaped id, created 2023-11-14). */
export const MEMORY_SHARD = 'shardId-00000001700000000000-00000000';

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
  } = {},
): Promise<number> {
  const zone = await resolveRollupZone(table, opts.zone ?? 'UTC');
  let position = opts.position ?? 0;
  for (;;) {
    const { changes, next } = table.streamFrom(position, opts.batchSize ?? 1000);
    if (changes.length === 0) return position;
    const r = await applyFold(
      table,
      MEMORY_SHARD,
      changes,
      zone,
      opts.nowMs ?? Date.now(),
      opts.nowMs === undefined ? Date.now : () => opts.nowMs!,
    );
    opts.onBatch?.(r);
    position = next;
  }
}
