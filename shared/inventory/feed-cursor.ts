import { z } from 'zod';
import { HttpError } from '#shared/http/errors.ts';
import type { BalanceRow, FeedShardResult } from '#shared/inventory/ports.ts';

/**
 * The delta feed's cursor: an opaque base64url token holding the feed position already delivered
 * (a feedSk, or an ISO time meaning "everything before it") and the location filter the paging
 * started with, so a filter cannot silently change half-way through. It carries no authority:
 * the key is checked again on every page, so a forged cursor reaches no one else's data.
 */
const CursorSchema = z.strictObject({
  v: z.literal(1),
  /** exclusive: rows with feedSk > p are still to come */
  p: z.string().min(1).max(600),
  l: z.string().min(1).max(128).optional(),
});
export type FeedCursor = z.infer<typeof CursorSchema>;

export function encodeCursor(c: FeedCursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

export function decodeCursor(token: string): FeedCursor {
  try {
    if (!/^[A-Za-z0-9_-]{1,1200}$/.test(token)) throw new Error('not base64url');
    return CursorSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw new HttpError(400, 'invalid_cursor', 'cursor is not one this API handed out');
  }
}

export interface MergedPage {
  rows: BalanceRow[];
  /** the position to continue from (never beyond what every shard was read up to) */
  position: string;
  /** true when rows up to the horizon may remain: ask again right away */
  hasMore: boolean;
}

/**
 * Merges the feed shards' results into one page, oldest change first. Each shard was read up to
 * its own `reachedTo`; only rows at or below the lowest of those are known to be complete across
 * all shards, so the page stops there (a row above it on one shard may be preceded by an unread
 * row on another). Rows beyond `limit` stay for the next page.
 */
export function mergeFeedPage(shards: readonly FeedShardResult[], limit: number, horizon: string): MergedPage {
  const safe = shards.reduce((min, s) => (s.reachedTo < min ? s.reachedTo : min), horizon);
  const candidates = shards
    .flatMap((s) => s.rows)
    .filter((r) => r.feedSk <= safe)
    .sort((a, b) => (a.feedSk < b.feedSk ? -1 : a.feedSk > b.feedSk ? 1 : 0));
  if (candidates.length > limit) {
    const rows = candidates.slice(0, limit);
    return { rows, position: rows[rows.length - 1]!.feedSk, hasMore: true };
  }
  return { rows: candidates, position: safe, hasMore: safe < horizon };
}
