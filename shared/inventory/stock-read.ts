import { z } from 'zod';
import type { ApiKeyRecord } from '#shared/http/api-key.ts';
import { canSeeChannel, canSeeLocation, requireLocation, visibleLocations } from '#shared/http/auth.ts';
import { HttpError } from '#shared/http/errors.ts';
import { parseInput } from '#shared/http/api.ts';
import { availableToSell } from '#shared/inventory/allocation.ts';
import { assignReservations } from '#shared/inventory/locations.ts';
import { KeyPartSchema } from '#shared/inventory/channel-config.ts';
import { decodeCursor, encodeCursor, type FeedCursor } from '#shared/inventory/feed-cursor.ts';
import { FEED_RETENTION_MS, type ChangeRow } from '#shared/inventory/change-pages.ts';
import type { BalanceRow, ChannelPort, StockReadPort } from '#shared/inventory/ports.ts';

/** The stock API's read use cases: one SKU, and the delta feed a WMS polls. */

export interface StockView {
  sku: string;
  available: number;
  locations: { location: string; onHand: number; reserved: number; available: number; updatedAt: string }[];
  /**
   * per channel: what the hub's rule allows it to list, and — where the channel reports it (Amazon
   * MFN) — what it says it lists now, with when it said so
   */
  channels: { channel: string; availableToSell: number; listedQuantity?: number; listedAsOf?: string }[];
  /** units reserved by orders that named no location, held against the SKU's total (locations.ts) */
  unassignedReserved?: number;
}

export const SkuReadQuerySchema = z.object({
  location: KeyPartSchema.optional(),
  channel: KeyPartSchema.optional(),
});

/**
 * One SKU: the balances the key may see (optionally one location) and available-to-sell on each
 * channel the key may see (optionally one). A channel's figure is computed from the locations
 * that feed it by its rule, not from the key's or the query's location filter: it is the number
 * the channel lists, whoever asks.
 */
export async function readSku(
  deps: { stock: StockReadPort; channels: ChannelPort },
  key: ApiKeyRecord,
  sku: string,
  query: Record<string, string | undefined>,
): Promise<StockView> {
  const skuName = parseInput(KeyPartSchema, sku, 'invalid_sku');
  const q = parseInput(SkuReadQuerySchema, query);
  if (q.location) requireLocation(key, q.location);
  if (visibleLocations(key)?.length === 0) throw new HttpError(403, 'forbidden', 'this API key may see no locations');
  const configs = await deps.channels.list();
  if (q.channel) {
    const cfg = configs.find((c) => c.channel === q.channel);
    if (cfg && !canSeeChannel(key, cfg))
      throw new HttpError(403, 'forbidden', `this API key may not see channel ${q.channel}`);
    if (!cfg) throw new HttpError(404, 'not_found', `channel ${q.channel} has no connection and no configuration`);
  }

  const state = deps.stock.skuState
    ? await deps.stock.skuState(skuName)
    : { balances: await deps.stock.balancesOf(skuName), listed: [] };
  const { locations: all, unassignedReserved } = assignReservations(state.balances);
  const listedBy = new Map(state.listed.map((l) => [l.channel, l]));
  const shown = all.filter((b) => canSeeLocation(key, b.location) && (!q.location || b.location === q.location));
  // reservations that named no location concern every location: shown to keys that see them all
  const unassigned = !q.location && visibleLocations(key) === undefined ? unassignedReserved : 0;
  // a SKU that exists only where the key cannot look is answered like an unknown one
  if (shown.length === 0 && unassigned === 0)
    throw new HttpError(404, 'not_found', `no stock is recorded for SKU ${skuName}`);

  const locations = shown
    .sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0))
    .map(({ location, onHand, reserved, available, updatedAt }) => ({
      location,
      onHand,
      reserved,
      available,
      updatedAt,
    }));
  const channels = configs
    .filter((c) => canSeeChannel(key, c) && (!q.channel || c.channel === q.channel))
    .sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0))
    .map((c) => {
      const l = listedBy.get(c.channel);
      return {
        channel: c.channel,
        availableToSell: availableToSell(all, c.allocation, unassignedReserved),
        ...(l ? { listedQuantity: l.quantity, listedAsOf: l.asOf } : {}),
      };
    });
  const available = locations.reduce((n, l) => n + l.available, 0) - unassigned;
  return {
    sku: skuName,
    available,
    locations,
    channels,
    ...(unassigned > 0 ? { unassignedReserved: unassigned } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// delta feed

export const FEED_DEFAULT_LIMIT = 100;
export const FEED_MAX_LIMIT = 1000;

export const FeedQuerySchema = z
  .object({
    updatedSince: z.string().datetime({ offset: true }).optional(),
    location: KeyPartSchema.optional(),
    limit: z.coerce.number().int().min(1).max(FEED_MAX_LIMIT).default(FEED_DEFAULT_LIMIT),
    cursor: z.string().min(1).optional(),
  })
  .refine(
    (q) => (q.updatedSince === undefined) !== (q.cursor === undefined),
    'pass either updatedSince (first page) or cursor (next pages)',
  );

export interface FeedPage {
  items: {
    sku: string;
    location: string;
    onHand: number;
    reserved: number;
    available: number;
    updatedAt: string;
    rev: number;
  }[];
  /** where to continue; present on every page, also when caught up (poll it again later) */
  nextCursor: string;
  /** true: more changes are ready now, ask again at once; false: caught up, poll later */
  hasMore: boolean;
}

export interface FeedOptions {
  /**
   * Why a settle window: the fold stamps a change page with its own clock just before the page is
   * put, so a page stamped T can become visible after a reader already read pages later than T.
   * If the cursor could move up to "now", such a page would sit behind it and never be delivered.
   * So no read goes past `now − settleMs`, and no cursor points past that: a late page just appears
   * on a later read. The window must exceed clock skew + write latency (normally well under a second).
   */
  settleMs: number;
  now: () => Date;
  /** how long change pages are kept (default FEED_RETENTION_MS): older positions get a snapshot */
  retentionMs?: number;
}

/** DynamoDB requests one feed answer makes at most: a long quiet range answers `hasMore` and goes on next time. */
const MAX_READS = 40;
/** page parts asked for per request (a day's pages are read a few at a time) */
const PAGES_PER_READ = 16;

type Row = FeedPage['items'][number];

interface FeedRead {
  rows: Row[];
  cursor: FeedCursor;
  hasMore: boolean;
}

const rowId = (r: { sku: string; location: string }) => `${r.location.length}|${r.location}${r.sku}`;
const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10);

/**
 * Every balance changed since a time, oldest change first, in pages of at most `limit` balances.
 * The feed reads the change pages the fold writes per stream batch (shared/inventory/change-pages.ts):
 * within one answer a balance appears once, with its newest state; a balance changed again later
 * appears again on a later answer (keep the copy with the higher `rev`). A position older than the
 * pages are kept (FEED_RETENTION_DAYS) is answered with a snapshot of every balance from the
 * balance directory, then the pages from the time the snapshot started.
 */
export async function readFeed(
  deps: { stock: StockReadPort },
  key: ApiKeyRecord,
  query: Record<string, string | undefined>,
  opts: FeedOptions,
): Promise<FeedPage> {
  const q = parseInput(FeedQuerySchema, query);
  const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
  if (cursor && q.location && cursor.l !== q.location)
    throw new HttpError(400, 'invalid_cursor', 'location differs from the one the cursor was made for');
  const location = cursor ? cursor.l : q.location;
  let locations: readonly string[] | undefined;
  if (location) {
    requireLocation(key, location);
    locations = [location];
  } else {
    locations = visibleLocations(key);
    if (locations?.length === 0) throw new HttpError(403, 'forbidden', 'this API key may see no locations');
  }
  const nowMs = opts.now().getTime();
  const horizon = new Date(nowMs - opts.settleMs).toISOString();
  const kept = new Date(nowMs - (opts.retentionMs ?? FEED_RETENTION_MS)).toISOString();
  const snapshot: FeedCursor = { v: 2, s: { t: new Date(nowMs).toISOString(), d: 0 } };
  // canonical 24-character UTC, the form page keys start with, so string order is time order;
  // "since T" includes T: every page stamped T is `T#…`, which sorts after `T`
  let at: FeedCursor;
  if (!cursor) {
    const since = new Date(q.updatedSince!).toISOString();
    at = since < kept ? snapshot : { v: 2, p: since };
  } else if (cursor.legacy) at = snapshot;
  else if (cursor.p !== undefined && cursor.p.slice(0, 24) < kept) at = snapshot;
  else at = cursor;

  const wanted = locations ? new Set(locations) : undefined;
  const read = at.s
    ? await snapshotRead(deps.stock, at.s, q.limit, wanted, opts.settleMs)
    : await pagesRead(deps.stock, { p: at.p!, ...(at.i !== undefined ? { i: at.i } : {}) }, q.limit, wanted, horizon);
  const { l: _l, ...position } = read.cursor;
  return {
    items: read.rows,
    nextCursor: encodeCursor({ ...position, ...(location ? { l: location } : {}) }),
    hasMore: read.hasMore,
  };
}

function feedRow(r: BalanceRow | ChangeRow): Row {
  const { sku, location, onHand, reserved, available, updatedAt, rev } = r;
  return { sku, location, onHand, reserved, available, updatedAt, rev };
}

/**
 * The change pages from a position up to the horizon, day partition by day partition. A position
 * inside a page (`i` rows of page `p` delivered) goes on with the next row; an answer holds at
 * most `limit` balances, each once with its newest row (placed where that row was).
 */
async function pagesRead(
  port: StockReadPort,
  start: { p: string; i?: number },
  limit: number,
  wanted: ReadonlySet<string> | undefined,
  horizon: string,
): Promise<FeedRead> {
  if (start.p >= horizon) return { rows: [], cursor: { v: 2, ...start }, hasMore: false };
  const out = new Map<string, ChangeRow>();
  let pos: { p: string; i?: number } = start;
  const lastDay = horizon.slice(0, 10);
  let day = start.p.slice(0, 10);
  let from = start.p;
  let reads = 0;
  while (reads < MAX_READS) {
    const { pages, done } = await port.changePages({ day, from, before: horizon, limit: PAGES_PER_READ });
    reads++;
    for (const page of pages) {
      const first = page.sk === pos.p && pos.i !== undefined ? pos.i : 0;
      for (let r = first; r < page.rows.length; r++) {
        const row = page.rows[r]!;
        if (wanted && !wanted.has(row.location)) continue;
        const id = rowId(row);
        const seen = out.get(id);
        if (!seen && out.size >= limit)
          return { rows: [...out.values()].map(feedRow), cursor: { v: 2, p: page.sk, i: r }, hasMore: true };
        if (!seen || row.rev > seen.rev) {
          out.delete(id);
          out.set(id, row);
        }
      }
      pos = { p: page.sk, i: page.rows.length };
    }
    if (!done) {
      from = pos.p;
      continue;
    }
    if (day >= lastDay) return { rows: [...out.values()].map(feedRow), cursor: { v: 2, p: horizon }, hasMore: false };
    day = nextDay(day);
    from = day;
    // the earlier days are read to their end: a position at this day's start loses nothing
    pos = { p: `${day}T00:00:00.000Z` };
  }
  return { rows: [...out.values()].map(feedRow), cursor: { v: 2, ...pos }, hasMore: true };
}

/**
 * Every balance, from the balance directory (partition by partition, in key order), then the pages
 * from the snapshot's start less the settle window: a balance changed after the snapshot read it
 * is on a page stamped later than that (the fold stamps a page after its balance writes).
 */
async function snapshotRead(
  port: StockReadPort,
  s: NonNullable<FeedCursor['s']>,
  limit: number,
  wanted: ReadonlySet<string> | undefined,
  settleMs: number,
): Promise<FeedRead> {
  const rows: Row[] = [];
  let d = s.d;
  let k = s.k;
  let reads = 0;
  while (d < port.directoryShards && rows.length < limit && reads < MAX_READS) {
    const { entries, done } = await port.directory({
      shard: d,
      ...(k !== undefined ? { after: k } : {}),
      limit: limit - rows.length,
    });
    reads++;
    const want = entries.filter((e) => !wanted || wanted.has(e.location));
    if (want.length > 0) {
      rows.push(...(await port.balances(want)).map(feedRow));
      reads += Math.ceil(want.length / 100);
    }
    if (entries.length > 0) k = entries[entries.length - 1]!.sk;
    if (done) {
      d++;
      k = undefined;
    }
  }
  if (d >= port.directoryShards)
    return { rows, cursor: { v: 2, p: new Date(Date.parse(s.t) - settleMs).toISOString() }, hasMore: true };
  return { rows, cursor: { v: 2, s: { t: s.t, d, ...(k !== undefined ? { k } : {}) } }, hasMore: true };
}
