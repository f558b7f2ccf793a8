import { z } from 'zod';
import { HttpError } from '#shared/http/errors.ts';

/**
 * The delta feed's cursor: an opaque base64url token holding the feed position already delivered
 * and the location filter the paging started with, so a filter cannot silently change half-way
 * through. It carries no authority: the key is checked again on every page, so a forged cursor
 * reaches no one else's data.
 *
 * Positions (shared/inventory/stock-read.ts):
 *  - in the change pages: `p`, an ISO time (every page stamped at or after it is still to come) or a
 *    page's sort key with `i`, the number of its rows already delivered;
 *  - in a snapshot (a position older than the pages are kept): `s`, the time the snapshot started,
 *    the directory partition `d` being listed and the last entry `k` delivered from it.
 * A cursor of the index-based feed (`v: 1`) is answered with a snapshot: nothing it had still to
 * deliver is lost.
 */
const LocationSchema = z.string().min(1).max(128).optional();

const CursorV2Schema = z.strictObject({
  v: z.literal(2),
  p: z.string().min(1).max(600).optional(),
  i: z.number().int().min(0).max(1_000_000).optional(),
  s: z
    .strictObject({
      t: z.string().datetime(),
      d: z.number().int().min(0).max(1000),
      k: z.string().min(1).max(600).optional(),
    })
    .optional(),
  l: LocationSchema,
});
const CursorV1Schema = z.strictObject({ v: z.literal(1), p: z.string().min(1).max(600), l: LocationSchema });

export type FeedCursor = z.infer<typeof CursorV2Schema>;

export function encodeCursor(c: FeedCursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

/** A cursor handed out by this API (a v1 cursor becomes "snapshot from the start"). */
export function decodeCursor(token: string): FeedCursor & { legacy?: true } {
  try {
    if (!/^[A-Za-z0-9_-]{1,1200}$/.test(token)) throw new Error('not base64url');
    const raw = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const v1 = CursorV1Schema.safeParse(raw);
    if (v1.success) return { v: 2, ...(v1.data.l ? { l: v1.data.l } : {}), legacy: true };
    const c = CursorV2Schema.parse(raw);
    if ((c.p === undefined) === (c.s === undefined)) throw new Error('a position in pages or a snapshot');
    return c;
  } catch {
    throw new HttpError(400, 'invalid_cursor', 'cursor is not one this API handed out');
  }
}
