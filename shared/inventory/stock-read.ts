import { z } from 'zod';
import type { ApiKeyRecord } from '#shared/http/api-key.ts';
import { canSeeChannel, canSeeLocation, requireLocation, visibleLocations } from '#shared/http/auth.ts';
import { HttpError } from '#shared/http/errors.ts';
import { parseInput } from '#shared/http/api.ts';
import { availableToSell } from '#shared/inventory/allocation.ts';
import { assignReservations } from '#shared/inventory/locations.ts';
import { KeyPartSchema } from '#shared/inventory/channel-config.ts';
import { decodeCursor, encodeCursor, mergeFeedPage } from '#shared/inventory/feed-cursor.ts';
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
  items: { sku: string; location: string; onHand: number; reserved: number; available: number; updatedAt: string }[];
  /** where to continue; present on every page, also when caught up (poll it again later) */
  nextCursor: string;
  /** true: more changes are ready now, ask again at once; false: caught up, poll later */
  hasMore: boolean;
}

export interface FeedOptions {
  /**
   * Why a settle window: each writer stamps `updatedAt` with its own clock before its write
   * lands, and the byUpdated GSI is eventually consistent. A write stamped T can therefore become
   * visible after a reader already saw rows later than T. If the cursor could move up to "now",
   * such a write would sit behind it and never be delivered. So no page reads past
   * `now − settleMs`, and no cursor points past that: a late write just appears on a later page.
   * The window must exceed clock skew + write latency + GSI lag (normally well under a second).
   */
  settleMs: number;
  now: () => Date;
}

/**
 * Every balance changed since a time, oldest change first, in pages. The feed holds the latest
 * state of each changed balance: a balance changed twice while a client pages shows up again
 * (with its newer state) after the position of its last change, and otherwise exactly once.
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
  // canonical 24-character UTC, the form feedSk starts with, so string order is time order;
  // "since T" includes T: every feedSk stamped T is `T#…`, which sorts after `T`
  const after = cursor ? cursor.p : new Date(q.updatedSince!).toISOString();
  const horizon = new Date(opts.now().getTime() - opts.settleMs).toISOString();

  let page: { rows: BalanceRow[]; position: string; hasMore: boolean };
  if (after >= horizon) {
    page = { rows: [], position: after, hasMore: false };
  } else {
    const shards = await Promise.all(
      Array.from({ length: deps.stock.feedShards }, (_, shard) =>
        deps.stock.feedShard({
          shard,
          after,
          before: horizon,
          limit: q.limit + 1,
          ...(locations ? { locations } : {}),
        }),
      ),
    );
    page = mergeFeedPage(shards, q.limit, horizon);
  }
  return {
    items: page.rows.map(({ sku, location: loc, onHand, reserved, available, updatedAt }) => ({
      sku,
      location: loc,
      onHand,
      reserved,
      available,
      updatedAt,
    })),
    nextCursor: encodeCursor({ v: 1, p: page.position, ...(location ? { l: location } : {}) }),
    hasMore: page.hasMore,
  };
}
