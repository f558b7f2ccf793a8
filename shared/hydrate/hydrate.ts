import { MAX_CONFLICT_ATTEMPTS } from '#shared/table/conflict.ts';
import { z } from 'zod';
import type { Clock } from '#shared/domain/clock.ts';
import type { CanonicalEvent, Staleness } from '#shared/domain/events.ts';
import { keyPartViolation } from '#shared/domain/key-part.ts';
import { locateEvents } from '#shared/inventory/locate.ts';
import type { ChannelPort } from '#shared/inventory/ports.ts';
import { type FetchResult, InvalidOrderError, SenderUnavailableError } from '#shared/hydrate/errors.ts';
import type { OrderClient } from '#shared/hydrate/types.ts';
import { applyEvent, applyEvents } from '#shared/normalize/apply.ts';
import { type CustomerSalt, hashCustomersWith } from '#shared/domain/customer-hash.ts';
import { CATALOG_SOURCES, type CatalogResult } from '#shared/hydrate/catalog.ts';
import { noteUnresolved, replayWaitingDeliveries, type IngestQueue } from '#shared/hydrate/waiting-deliveries.ts';
import { validateListing } from '#shared/listings/listings.ts';
import { keys } from '#shared/table/keys.ts';
import { isNewer } from '#shared/normalize/order-state.ts';
import { WriteConflictError, type Item, type TablePort } from '#shared/table/port.ts';
import { and, conditionExpression, eq, notExists, updateExpression } from '#shared/table/expression.ts';

/**
 * Hydration (docs/hydration.md): a thin order webhook is recorded as a HydrationPending item
 * (`HYDRATE#<channel>#order#<id>`); this module decides when that item is fetched from the
 * sender's API and applies what comes back as the same canonical events a full webhook would be.
 *
 * The item carries, besides what applyHydration writes:
 *  - `version`: the newest version a webhook asked for (applyHydration keeps the newest);
 *  - `enqueuedAt`: set while a fetch message is queued or being processed;
 *  - `fetchedVersion`, `fetchedDeliveryId`: the asked-for version, and the webhook that asked,
 *    the last finished fetch covered.
 * A message is sent only when a webhook was recorded after the last fetch began and none is in flight, so a
 * burst of webhooks for one order is one fetch; a webhook arriving during a fetch is caught when
 * the fetch finishes, and one more message is sent for it.
 */

export const HydrationMessageSchema = z.object({
  v: z.literal(1),
  connectionId: z.string().min(1),
  channel: z.string().min(1),
  source: z.string().min(1),
  /** `order`: a thin order; `listing`: a catalog id an inventory webhook named, resolved to its SKU */
  entity: z.enum(['order', 'listing']),
  externalId: z.string().min(1),
});
export type HydrationMessage = z.infer<typeof HydrationMessageSchema>;

export interface HydrationQueue {
  send(message: HydrationMessage): Promise<void>;
}

/**
 * How long a queued fetch is trusted to still be on its way. Past it (its message went to the DLQ,
 * or the send was lost after the claim was written) the next webhook sends a new one: at most one
 * extra fetch per order per this window, against an order that would otherwise never count.
 */
export const IN_FLIGHT_MAX_MS = 15 * 60_000;

function versionOf(item: Item): Staleness {
  return (item.version as Staleness | undefined) ?? { at: String(item.occurredAt) };
}

/**
 * Has a webhook been recorded since the last fetch began? The item's `deliveryId` changes with
 * every webhook applyHydration takes (only newer ones, or for time-only versions one of the same
 * second), and the fetch records the one it answered as `fetchedDeliveryId`.
 */
export function needsFetch(item: Item): boolean {
  const fetched = item.fetchedVersion as Staleness | undefined;
  if (!fetched) return true;
  // a listing has no version of its own: every webhook that found it unmapped is a new delivery id
  if (item.entity === 'listing') return item.fetchedDeliveryId !== item.deliveryId;
  if (item.fetchedDeliveryId !== undefined)
    return item.fetchedDeliveryId !== item.deliveryId && !isNewer(fetched, versionOf(item));
  return isNewer(versionOf(item), fetched);
}

/**
 * Sends one fetch message for the order if it needs one and none is in flight. Called after a
 * HydrationPending event is applied and after a fetch finishes. Returns whether it sent.
 */
export async function requestHydration(
  deps: { table: TablePort; queue: HydrationQueue; now: Clock },
  req: {
    connectionId: string;
    channel: string;
    source: string;
    externalId: string;
    entity?: HydrationMessage['entity'];
  },
): Promise<boolean> {
  const entity = req.entity ?? 'order';
  const key = keys.hydration(req.channel, entity, req.externalId);
  for (let attempt = 0; ; attempt++) {
    const item = await deps.table.get(key);
    if (!item || !needsFetch(item)) return false;
    const now = deps.now();
    const since = typeof item.enqueuedAt === 'string' ? Date.parse(item.enqueuedAt) : undefined;
    if (since !== undefined && now.getTime() - since < IN_FLIGHT_MAX_MS) return false;
    const enqueuedAt = now.toISOString();
    try {
      // the claim: of concurrent requests for one order, one writes it and sends
      await deps.table.write([
        {
          kind: 'put',
          item: { ...item, enqueuedAt, connectionId: req.connectionId },
          ...conditionExpression(
            and(
              eq('deliveryId', item.deliveryId),
              since === undefined ? notExists('enqueuedAt') : eq('enqueuedAt', item.enqueuedAt),
            ),
          ),
        },
      ]);
    } catch (err) {
      if (err instanceof WriteConflictError && attempt + 1 < MAX_CONFLICT_ATTEMPTS) continue;
      throw err;
    }
    try {
      await deps.queue.send({
        v: 1,
        connectionId: req.connectionId,
        channel: req.channel,
        source: req.source,
        entity,
        externalId: req.externalId,
      });
    } catch (err) {
      // give the claim back so the retried delivery sends; if this fails too, the claim expires
      await release(deps.table, key, enqueuedAt).catch(() => undefined);
      throw err;
    }
    return true;
  }
}

async function release(table: TablePort, key: { pk: string; sk: string }, enqueuedAt: string): Promise<void> {
  const item = await table.get(key);
  if (!item || item.enqueuedAt !== enqueuedAt) return;
  const { enqueuedAt: _, ...rest } = item;
  await table.write([{ kind: 'put', item: rest, ...conditionExpression(eq('enqueuedAt', enqueuedAt)) }]);
}

export interface HydrateDeps {
  table: TablePort;
  queue: HydrationQueue;
  /** the API client for a connection (its credentials read and cached by the runtime) */
  clientFor(message: HydrationMessage): Promise<OrderClient>;
  channels: ChannelPort;
  now: Clock;
  /**
   * Listing lookups (docs/hydration.md, "Listings resolved through the catalog"). Absent: a
   * listing message is skipped, and its deliveries stay quarantined for a mapping by hand.
   */
  listings?: {
    /** the listing's SKU from the sender's catalog (credentials read and cached by the runtime) */
    resolve(message: HydrationMessage): Promise<CatalogResult>;
    /** where the deliveries that waited for a listing are replayed: the ingest queue */
    ingest: IngestQueue;
  };
  /**
   * The secret customer references are hashed with (as normalize's: HUB_CUSTOMER_SALT, or the
   * secret HUB_CUSTOMER_SALT_ID names). Absent: fetched orders are kept without a customer.
   */
  customerSalt?: CustomerSalt;
}

export type HydrateOutcome =
  | { status: 'hydrated'; orderId: string; applied: number; requeued: boolean }
  /** the sender has no such order (deleted): recorded, nothing applied */
  | { status: 'not-found'; orderId: string; requeued: boolean }
  /**
   * the sender answered with an order the hub cannot read: quarantined with the reason (replayed
   * through the hydrate queue by `npm run hub -- quarantine replay`), not retried
   */
  | { status: 'quarantined'; orderId: string; deliveryId: string; reason: string; message: string }
  /** nothing to do: no pending item, or the last fetch already covered what it asks for */
  | { status: 'skipped'; orderId?: string; reason: string }
  /** a listing's SKU, from the catalog (or a mapping made meanwhile): mapped, its waiting deliveries replayed */
  | {
      status: 'listing-mapped';
      listingId: string;
      sku: string;
      lookedUp: boolean;
      replayed: string[];
      requeued: boolean;
    }
  /** the catalog names no SKU for the listing (deleted, or none set): its deliveries stay quarantined */
  | {
      status: 'listing-unresolved';
      listingId: string;
      reason: string;
      noted: number;
      requeued: boolean;
      /** no call made: the catalog's answer of moments ago stands (LISTING_LOOKUP_COOLDOWN_MS) */
      cooling?: true;
    };

/** A sender's answer older than a webhook already told of (a lagging read): fetched again later. */
export class StaleReadError extends SenderUnavailableError {
  override name = 'StaleReadError';
}

/**
 * Fetches one order and applies it. Throws what should be retried (rate limits, refused
 * credentials, server errors: see shared/hydrate/errors.ts); the caller turns a throw into a
 * retry through the queue.
 */
export async function hydrateMessage(body: string, deps: HydrateDeps): Promise<HydrateOutcome> {
  let msg: HydrationMessage;
  try {
    msg = HydrationMessageSchema.parse(JSON.parse(body));
  } catch (err) {
    return { status: 'skipped', reason: `malformed message: ${(err as Error).message.slice(0, 300)}` };
  }
  if (msg.entity === 'listing') return hydrateListing(msg, deps);
  const key = keys.hydration(msg.channel, msg.entity, msg.externalId);
  const item = await deps.table.get(key);
  if (!item) return { status: 'skipped', orderId: msg.externalId, reason: 'no pending item' };
  if (!needsFetch(item)) {
    await finish(deps, key, undefined, undefined);
    return { status: 'skipped', orderId: msg.externalId, reason: 'already fetched' };
  }
  // every webhook up to this one is answered by the fetch below
  const asked = versionOf(item);
  const askedBy = String(item.deliveryId);
  const detail = (item.detail as Record<string, string> | undefined) ?? {};
  const client = await deps.clientFor(msg);
  const fetchId = `hydrate_${String(item.deliveryId)}`;
  let result: FetchResult;
  try {
    result = await client.fetchOrder({
      channel: msg.channel,
      source: msg.source,
      orderId: msg.externalId,
      deliveryId: fetchId,
      ...(detail.locationId ? { locationId: detail.locationId } : {}),
    });
  } catch (err) {
    if (err instanceof InvalidOrderError) return quarantineFetch(deps, key, body, msg, fetchId, err.message);
    throw err;
  }
  if (result.kind === 'not-found') {
    await finish(deps, key, { version: asked, deliveryId: askedBy }, 'not-found');
    const requeued = await requestHydration(deps, { ...msg });
    return { status: 'not-found', orderId: msg.externalId, requeued };
  }
  const upsert = result.events.find((e) => e.type === 'OrderUpserted');
  if (
    upsert?.type === 'OrderUpserted' &&
    asked.seq !== undefined &&
    upsert.version.seq !== undefined &&
    upsert.version.seq < asked.seq
  ) {
    throw new StaleReadError(
      msg.source,
      undefined,
      `order ${msg.externalId} came back at version ${upsert.version.seq}, a webhook announced ${asked.seq}`,
    );
  }
  // the customer reference becomes its salted hash before anything is stored, as in normalize
  const events = await hashCustomersWith(await locate(result.events, deps.channels), deps.customerSalt);
  for (const [i, e] of events.entries()) {
    const bad = keyPartViolation(e);
    if (bad)
      return quarantineFetch(
        deps,
        key,
        body,
        msg,
        fetchId,
        new InvalidOrderError(msg.source, `order ${msg.externalId}: events[${i}].${bad.field}: ${bad.problem}`).message,
      );
  }
  const applied = await applyEvents(deps.table, events, deps.now);
  await lookUpUnmappedLines(deps, msg, events);
  await finish(deps, key, { version: asked, deliveryId: askedBy }, 'fetched');
  const requeued = await requestHydration(deps, { ...msg });
  return { status: 'hydrated', orderId: msg.externalId, applied, requeued };
}

/**
 * The fetched order's lines that name a listing with no SKU yet wait on the order, holding
 * nothing; where the sender has a catalog the hub reads, each such listing is looked up (one
 * message per listing, coalesced with the lookups its stock webhooks start), and the mapping
 * resolves the waiting lines as `listings map` would. Only with catalog lookups configured.
 */
async function lookUpUnmappedLines(deps: HydrateDeps, msg: HydrationMessage, events: CanonicalEvent[]): Promise<void> {
  if (!deps.listings || !CATALOG_SOURCES.has(msg.source)) return;
  const listings = new Set<string>();
  for (const e of events)
    if (e.type === 'OrderUpserted')
      for (const l of e.lines) if (!l.sku && l.externalItemId) listings.add(l.externalItemId);
  for (const externalId of listings) {
    const mapped = await deps.table.get(keys.listing(msg.channel, externalId));
    if (typeof mapped?.sku === 'string') continue;
    await requestListingLookup(deps, {
      connectionId: msg.connectionId,
      channel: msg.channel,
      source: msg.source,
      externalId,
      deliveryId: `order:${msg.externalId}`,
    });
  }
}

/**
 * Normalize's side of a listing lookup: a stock webhook of `connectionId` named a listing with no
 * SKU (the delivery is already quarantined as `unmapped-listing`). Records the listing as pending
 * (`HYDRATE#<channel>#listing#<id>`, the delivery as its latest asker) and sends one fetch message
 * unless one is in flight: a burst of webhooks for one listing is one catalog call.
 */
export async function requestListingLookup(
  deps: { table: TablePort; queue: HydrationQueue; now: Clock },
  req: { connectionId: string; channel: string; source: string; externalId: string; deliveryId: string },
): Promise<boolean> {
  const at = deps.now().toISOString();
  await applyEvent(
    deps.table,
    {
      type: 'HydrationPending',
      channel: req.channel,
      source: req.source,
      deliveryId: req.deliveryId,
      occurredAt: at,
      entity: 'listing',
      externalId: req.externalId,
    },
    deps.now,
  );
  return requestHydration(deps, { ...req, entity: 'listing' });
}

/**
 * How long a catalog that named no SKU for a listing (404, no SKU) is believed: webhooks for the
 * listing within this time after the lookup make no call of their own — they stay quarantined
 * with the catalog's answer — and the first one after it looks the listing up again. A listing
 * that keeps sending inventory webhooks costs at most one catalog call per period, not one per
 * webhook; a mapping by hand (`listings map`) ends the wait at once.
 */
export const LISTING_LOOKUP_COOLDOWN_MS = 15 * 60_000;

/** The catalog's last "no SKU" answer for the listing, while it is still believed. */
function recentlyUnresolved(item: Item, now: Date): string | undefined {
  if (item.outcome !== 'not-found' || typeof item.fetchedAt !== 'string') return undefined;
  const age = now.getTime() - Date.parse(item.fetchedAt);
  if (!(age >= 0 && age < LISTING_LOOKUP_COOLDOWN_MS)) return undefined;
  const next = new Date(Date.parse(item.fetchedAt) + LISTING_LOOKUP_COOLDOWN_MS).toISOString();
  return `${String(item.outcomeReason ?? 'the catalog names no SKU')}; looked up at ${item.fetchedAt}, not again before ${next}`;
}

/**
 * The hydrate function's side: the listing's SKU from the sender's catalog, written to the listing
 * map as a ListingMapped event (the path `listings map` takes: the listing, its SKULIST reverse
 * item, the order lines waiting for it), then the quarantined deliveries that waited for it sent
 * back to the ingest queue. A listing mapped meanwhile (by hand, or by an earlier lookup) costs no
 * call: its waiting deliveries are replayed. 429, 401 and 5xx throw, as an order fetch's do.
 */
async function hydrateListing(msg: HydrationMessage, deps: HydrateDeps): Promise<HydrateOutcome> {
  const key = keys.hydration(msg.channel, 'listing', msg.externalId);
  const item = await deps.table.get(key);
  if (!item) return { status: 'skipped', orderId: msg.externalId, reason: 'no pending item' };
  if (!needsFetch(item)) {
    await finish(deps, key, undefined, undefined);
    return { status: 'skipped', orderId: msg.externalId, reason: 'already looked up' };
  }
  if (!deps.listings) return { status: 'skipped', orderId: msg.externalId, reason: 'no catalog lookups configured' };
  // every webhook up to this one is answered by the lookup below
  const asked = { version: versionOf(item), deliveryId: String(item.deliveryId) };
  const listing = { channel: msg.channel, externalId: msg.externalId };
  const mapped = await deps.table.get(keys.listing(msg.channel, msg.externalId));
  let result: CatalogResult;
  const believed = recentlyUnresolved(item, deps.now());
  if (typeof mapped?.sku === 'string') result = { kind: 'sku', sku: mapped.sku };
  else if (believed !== undefined) {
    // the catalog answered "no SKU" moments ago: the new webhooks wait with that answer
    const noted = await noteUnresolved(deps, listing, believed);
    await finish(deps, key, asked, undefined);
    const requeued = await requestHydration(deps, { ...msg });
    return {
      status: 'listing-unresolved',
      listingId: msg.externalId,
      reason: believed,
      noted,
      requeued,
      cooling: true,
    };
  } else {
    result = await deps.listings.resolve(msg);
    if (result.kind === 'sku') {
      // a SKU the listing map cannot hold (too long, control characters) is no SKU for the hub
      const checked = validateListing({ ...listing, sku: result.sku });
      if (!checked.ok) result = { kind: 'unresolved', reason: `the catalog's SKU is unusable: ${checked.message}` };
    }
  }
  if (result.kind === 'sku') {
    if (!mapped) {
      const at = deps.now().toISOString();
      await applyEvent(
        deps.table,
        {
          type: 'ListingMapped',
          channel: msg.channel,
          source: msg.source,
          deliveryId: `catalog:${msg.channel}:${msg.externalId}:${result.sku}`,
          occurredAt: at,
          externalId: msg.externalId,
          sku: result.sku,
          at,
        },
        deps.now,
      );
    }
    const replayed = await replayWaitingDeliveries(
      { table: deps.table, ingest: deps.listings.ingest, now: deps.now },
      listing,
    );
    await finish(deps, key, asked, 'fetched');
    const requeued = await requestHydration(deps, { ...msg });
    return {
      status: 'listing-mapped',
      listingId: msg.externalId,
      sku: result.sku,
      lookedUp: !mapped,
      replayed,
      requeued,
    };
  }
  const noted = await noteUnresolved(deps, listing, result.reason);
  await finish(deps, key, asked, 'not-found', result.reason);
  const requeued = await requestHydration(deps, { ...msg });
  return { status: 'listing-unresolved', listingId: msg.externalId, reason: result.reason, noted, requeued };
}

async function locate(events: CanonicalEvent[], channels: ChannelPort): Promise<CanonicalEvent[]> {
  const configs = new Map((await channels.list()).map((c) => [c.channel, c]));
  return locateEvents(events, configs);
}

/** The quarantine reason of a fetched order the hub cannot read. */
export const INVALID_FETCHED_ORDER = 'invalid-fetched-order';

/**
 * Sets the fetch aside: a quarantine item holding the hydration message (replay sends it back to
 * the hydrate queue, `queue: 'hydrate'`) and the reason. The pending item's claim ends without
 * recording the fetch, so a replay, or the order's next webhook, fetches it again.
 */
async function quarantineFetch(
  deps: HydrateDeps,
  key: { pk: string; sk: string },
  body: string,
  msg: HydrationMessage,
  deliveryId: string,
  message: string,
): Promise<HydrateOutcome> {
  const at = deps.now().toISOString();
  await deps.table.write([
    {
      kind: 'put',
      item: {
        ...keys.quarantine(at.slice(0, 10), at, deliveryId),
        type: 'quarantine',
        status: 'quarantined',
        reason: INVALID_FETCHED_ORDER,
        message,
        deliveryId,
        connectionId: msg.connectionId,
        source: msg.source,
        channel: msg.channel,
        externalId: msg.externalId,
        queue: 'hydrate',
        receivedAt: at,
        quarantinedAt: at,
        message_body: body,
      },
    },
  ]);
  await finish(deps, key, undefined, 'quarantined');
  return { status: 'quarantined', orderId: msg.externalId, deliveryId, reason: INVALID_FETCHED_ORDER, message };
}

/** Records what the fetch covered and ends the in-flight claim, whatever webhooks did meanwhile. */
async function finish(
  deps: HydrateDeps,
  key: { pk: string; sk: string },
  asked: { version: Staleness; deliveryId: string } | undefined,
  outcome: 'fetched' | 'not-found' | 'quarantined' | undefined,
  /** why a listing lookup found no SKU (kept on the item for `hydration list`) */
  reason?: string,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const item = await deps.table.get(key);
    if (!item) return;
    // the fetch finished: the claim ends, and so does the failure an earlier attempt recorded
    const { enqueuedAt: _, lastError: _e, lastErrorAt: _a, retryAt: _r, ...rest } = item;
    const prev = item.fetchedVersion as Staleness | undefined;
    const next: Item = { ...rest };
    // a fetch that finishes after a later one (both in flight after an expired claim) records nothing older
    if (asked && (!prev || !isNewer(prev, asked.version))) {
      next.fetchedVersion = asked.version;
      next.fetchedDeliveryId = asked.deliveryId;
    }
    if (outcome) {
      next.outcome = outcome;
      next.fetchedAt = deps.now().toISOString();
      if (reason) next.outcomeReason = reason.slice(0, 500);
      else delete next.outcomeReason;
    }
    try {
      await deps.table.write([{ kind: 'put', item: next, ...conditionExpression(eq('deliveryId', item.deliveryId)) }]);
      return;
    } catch (err) {
      if (err instanceof WriteConflictError && attempt + 1 < MAX_CONFLICT_ATTEMPTS) continue;
      throw err;
    }
  }
}

/**
 * Notes on the pending item why its fetch did not finish (and, for a rate limit, when the sender
 * allows the next call), for `npm run hub -- hydration list`. One update of these attributes alone,
 * so it never undoes a claim or a finished fetch written meanwhile; the next finished fetch
 * clears them.
 */
export async function recordFetchFailure(
  table: TablePort,
  msg: Pick<HydrationMessage, 'channel' | 'entity' | 'externalId'>,
  failure: { reason: string; at: Date; retryAt?: Date },
): Promise<void> {
  const key = keys.hydration(msg.channel, msg.entity, msg.externalId);
  const item = await table.get(key);
  // only while the fetch is still claimed: a finished one has nothing left to explain
  if (typeof item?.enqueuedAt !== 'string') return;
  await table.write([
    {
      kind: 'update',
      key,
      ...updateExpression(
        {
          set: {
            lastError: failure.reason.slice(0, 500),
            lastErrorAt: failure.at.toISOString(),
            ...(failure.retryAt ? { retryAt: failure.retryAt.toISOString() } : {}),
          },
          ...(failure.retryAt ? {} : { remove: ['retryAt'] }),
        },
        eq('enqueuedAt', item.enqueuedAt),
      ),
      billedSize: 1024,
    },
  ]);
}

export type RetryResult =
  | { status: 'sent' }
  | { status: 'up-to-date'; outcome?: string }
  | { status: 'unknown-order' }
  | { status: 'no-connection' };

/**
 * `hydration retry`: sends a fetch message for one order now, whatever claim the item holds (its
 * message may sit in the DLQ, or keep failing until the credentials were fixed). A fetch message
 * sent twice costs one more call at most: the second finds the order fetched and skips.
 */
export async function retryHydration(
  deps: { table: TablePort; queue: HydrationQueue; now: Clock },
  req: { channel: string; externalId: string; entity?: HydrationMessage['entity'] },
): Promise<RetryResult> {
  const entity = req.entity ?? 'order';
  const key = keys.hydration(req.channel, entity, req.externalId);
  for (let attempt = 0; ; attempt++) {
    const item = await deps.table.get(key);
    if (!item) return { status: 'unknown-order' };
    if (!needsFetch(item))
      return { status: 'up-to-date', ...(typeof item.outcome === 'string' ? { outcome: item.outcome } : {}) };
    const connectionId = typeof item.connectionId === 'string' ? item.connectionId : undefined;
    if (!connectionId) return { status: 'no-connection' };
    const { lastError: _e, lastErrorAt: _a, retryAt: _r, ...rest } = item;
    const enqueuedAt = deps.now().toISOString();
    try {
      await deps.table.write([
        {
          kind: 'put',
          item: { ...rest, enqueuedAt },
          ...conditionExpression(eq('deliveryId', item.deliveryId)),
        },
      ]);
    } catch (err) {
      if (err instanceof WriteConflictError && attempt + 1 < MAX_CONFLICT_ATTEMPTS) continue;
      throw err;
    }
    await deps.queue.send({
      v: 1,
      connectionId,
      channel: req.channel,
      source: String(item.source),
      entity,
      externalId: req.externalId,
    });
    return { status: 'sent' };
  }
}
