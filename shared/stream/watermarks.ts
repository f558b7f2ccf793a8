import { fnv1a32 } from '#shared/table/keys.ts';
import type { Item } from '#shared/table/port.ts';
import type { ChangeRow } from '#shared/inventory/change-pages.ts';

/**
 * The table's stream as the folds see it: one record of an item with its images, and the
 * per-shard watermarks that make folding a record into a counter or a balance exactly once (a
 * retried batch folds only the records above the watermark its target keeps for that shard).
 */

/** One stream record of an item, images unmarshalled. */
/** A balance normalize wrote (a count or an adjustment), seen on the stream. */
export interface CountedBalance {
  sku: string;
  location: string;
  /** the record's SequenceNumber */
  seq: string;
  /** the balance as the record's new image shows it (its change-page row) */
  row?: ChangeRow;
}

export interface StreamChange {
  /** the record's SequenceNumber (decimal digits, increasing within a shard) */
  seq: string;
  oldImage?: Item;
  newImage?: Item;
}

/**
 * Watermarks are kept compact, because a counter carries one per stream shard that touched it in
 * the last three days (a busy table has a shard per partition, each replaced about every 4 hours):
 * the value is the sequence number (21–40 decimal digits) in base 36, padded to 26 characters so
 * that string order is numeric order inside a condition; the attribute name is the shard's creation
 * time (base 36 ms) and a 32-bit hash of its id — about 45 bytes a shard instead of about 90.
 */
const SEQ_WIDTH = 26;

/** A stream sequence number as a fixed-width, order-preserving string. */
export function padSeq(seq: string): string {
  if (!/^\d{1,40}$/.test(seq)) throw new Error(`not a stream sequence number: ${seq}`);
  return BigInt(seq).toString(36).padStart(SEQ_WIDTH, '0');
}

/**
 * DynamoDB stream shard ids carry their creation time in ms (`shardId-00000001700000000000-…`).
 * A stream keeps records 24 hours and a shard takes new ones for about 4: a watermark of a shard
 * created more than three days ago can never be needed again and is removed when its counter is next
 * written, so counters do not grow with every shard that ever touched them.
 */
export function shardCreatedMs(shardId: string): number | undefined {
  const m = /^shardId-(\d{20})-/.exec(shardId);
  return m ? Number(m[1]) : undefined;
}

/** The counter attribute holding a stream shard's watermark: `w_<created, base 36>_<hash, base 36>`. */
export function watermarkAttr(shardId: string): string {
  const created = shardCreatedMs(shardId);
  return `w_${created === undefined ? 'x' : created.toString(36)}_${fnv1a32(shardId).toString(36)}`;
}

/** The creation time a watermark attribute names (undefined: unknown, never pruned). */
function watermarkCreatedMs(attr: string): number | undefined {
  const m = /^w_([0-9a-z]+)_[0-9a-z]+$/.exec(attr);
  return m && m[1] !== 'x' ? parseInt(m[1]!, 36) : undefined;
}

/**
 * Three days: two would do for the counters; the stock fold's ledger rows need the margin (a row
 * of a pruned shard is older than UNAPPLIED_MAX_AGE_MS when its watermark goes: see isApplied).
 */
export const WATERMARK_RETENTION_MS = 3 * 86_400_000;

export function staleWatermarks(item: Item | undefined, currentShard: string, nowMs: number): string[] {
  if (!item) return [];
  const current = watermarkAttr(currentShard);
  return Object.keys(item).filter((a) => {
    if (!a.startsWith('w_') || a === current) return false;
    const created = watermarkCreatedMs(a);
    return created !== undefined && created < nowMs - WATERMARK_RETENTION_MS;
  });
}
