import { createHash } from 'node:crypto';
import { DeliverySchema, type Delivery } from '#shared/domain/delivery.ts';
import type { Clock } from '#shared/domain/clock.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { keyPartViolation } from '#shared/domain/key-part.ts';
import { AdapterError } from '#shared/adapters/types.ts';
import { type CustomerSalt, hashCustomersWith } from '#shared/domain/customer-hash.ts';
import { applyEvents, UnresolvableEventError } from '#shared/normalize/apply.ts';
import { locateEvents } from '#shared/inventory/locate.ts';
import type { ChannelPort } from '#shared/inventory/ports.ts';
import { keyProblem, keys } from '#shared/table/keys.ts';
import { isEcho, type PushRecord } from '#shared/outbound/connectors/echo.ts';
import { TableValidationError, type TablePort } from '#shared/table/port.ts';
import { CATALOG_SOURCES, HYDRATED_SOURCES } from '#shared/hydrate/clients.ts';
import { requestHydration, requestListingLookup, type HydrationQueue } from '#shared/hydrate/hydrate.ts';

/**
 * Amazon's SP-API posts its notifications straight onto the hub's SP-API queue (there is no HTTP
 * webhook: docs/webhook-sources.md), so those messages are the notification JSON itself, not an
 * ingest Delivery. They are wrapped here into one, with the channel this option names.
 */
export interface SpapiSource {
  connectionId: string;
  channel: string;
  /** the merchant's SellerId: a notification for another seller is quarantined (unset: any) */
  sellerId?: string;
}

/** What SQS says of a message (the Lambda event record's attributes), used to wrap SP-API messages. */
export interface MessageMeta {
  messageId: string;
  /** epoch milliseconds, SQS SentTimestamp */
  sentAt?: number;
  /**
   * The message came off the SP-API queue, where Amazon (anyone its policy lets send) writes: only
   * Amazon notifications are taken from there, never a message shaped like an ingest delivery.
   */
  fromSpapiQueue?: boolean;
}

export interface NormalizeDeps {
  table: TablePort;
  /** the exact bytes of a delivery's body (inline, or fetched from the claim-check bucket) */
  loadBody(delivery: Delivery): Promise<Buffer>;
  adapt(input: { delivery: Delivery; body: string }): CanonicalEvent[];
  /** channel configurations (cached): where each channel's locations are in the hub (locate.ts) */
  channels: ChannelPort;
  /** the time quarantined messages and unstamped SP-API notifications are stamped with */
  now: Clock;
  spapi?: SpapiSource;
  /**
   * Where fetches of thin orders are queued (docs/hydration.md). Absent: thin orders are only
   * recorded as pending.
   */
  hydration?: HydrationQueue;
  /**
   * Which connections have API credentials (docs/hydration.md, "Listings resolved through the
   * catalog"): a Square or BigCommerce stock webhook of such a connection naming an unmapped
   * listing queues a catalog lookup on the hydration queue. Absent, or false for the connection:
   * the delivery waits in the quarantine for `listings map`.
   */
  catalogLookups?: { enabled(connectionId: string): Promise<boolean> };
  /**
   * The secret customer references are hashed with (HUB_CUSTOMER_SALT, shared/domain/customer-hash.ts).
   * Absent: orders are kept without a customer, and repeat-customer measures count none. A
   * function: read when a delivery first names a customer (the deployed stack's secret), and a
   * failed read fails the delivery, which is retried rather than stored without its customer.
   */
  customerSalt?: CustomerSalt;
}

export type NormalizeOutcome =
  | {
      status: 'applied' | 'noop';
      deliveryId: string;
      events: number;
      applied: number;
      oversells: number;
      /** order lines this delivery left waiting for a listing mapping (absent: none) */
      unmappedLines?: number;
    }
  | { status: 'quarantined'; deliveryId: string; reason: string; message: string; externalId?: string }
  | { status: 'ignored'; deliveryId: string; source: string; topic: string };

/** Why a queued message was set aside instead of applied (docs/architecture.md, principle 4). */
export interface QuarantineReason {
  reason: string;
  message: string;
  /** the listing an `unmapped-listing` delivery waits for: mapping it replays the delivery */
  externalId?: string;
}

/**
 * Turns one queued message into canonical events and applies them. Poison (unparseable message,
 * a body that does not match its sender's schema, an unknown event type, a key part breaking the
 * key-part rule, an event that cannot be resolved, a write the table refuses as invalid) is
 * quarantined with its reason and the raw message, then acked: retrying would not help.
 * Anything else thrown (throttling, timeouts, lost races beyond the retry budget) is
 * transient: the caller reports the record as failed so SQS redelivers it, and after the queue's
 * maxReceiveCount it lands in the DLQ.
 *
 * Events of one delivery are applied in order; each is exactly-once on its own, so a delivery
 * that fails half-way and comes back re-applies only what was not applied.
 */
export async function normalizeMessage(
  messageBody: string,
  deps: NormalizeDeps,
  meta?: MessageMeta,
): Promise<NormalizeOutcome> {
  const now = deps.now;
  let delivery: Delivery;
  try {
    const parsed: unknown = JSON.parse(messageBody);
    if (meta?.fromSpapiQueue && !isSpapiNotification(parsed)) {
      return quarantine(
        deps.table,
        messageBody,
        undefined,
        { reason: 'forbidden-source', message: 'the SP-API queue takes Amazon SP-API notifications only' },
        now,
      );
    }
    delivery =
      isSpapiNotification(parsed) && deps.spapi
        ? spapiDelivery(messageBody, parsed, deps.spapi, meta, now)
        : DeliverySchema.parse(parsed);
    const seller = delivery.source === 'amazon' && deps.spapi?.sellerId ? sellerOf(parsed) : undefined;
    if (seller !== undefined && seller !== deps.spapi!.sellerId) {
      return quarantine(
        deps.table,
        messageBody,
        delivery,
        {
          reason: 'forbidden-source',
          message: `SP-API notification for seller ${seller}, not this hub's ${deps.spapi!.sellerId}`,
        },
        now,
      );
    }
  } catch (err) {
    return quarantine(
      deps.table,
      messageBody,
      undefined,
      { reason: 'malformed-message', message: messageOf(err) },
      now,
    );
  }
  const body = (await deps.loadBody(delivery)).toString('utf8');
  let events: CanonicalEvent[];
  try {
    events = deps.adapt({ delivery, body });
  } catch (err) {
    // a topic the hub has no use for: acknowledged and counted, nothing written
    if (err instanceof AdapterError && err.kind === 'ignored') {
      return {
        status: 'ignored',
        deliveryId: delivery.deliveryId,
        source: delivery.source,
        topic: err.topic ?? 'unknown',
      };
    }
    if (err instanceof AdapterError) {
      return quarantine(deps.table, messageBody, delivery, { reason: err.kind, message: err.message }, now);
    }
    throw err;
  }
  // loop safety: a channel's report of the level the hub itself just pushed is not a new count
  const echoes = await echoesOf(deps.table, deps.channels, events);
  if (echoes.size > 0) {
    events = events.filter((e) => !echoes.has(e));
    if (events.length === 0)
      return { status: 'ignored', deliveryId: delivery.deliveryId, source: delivery.source, topic: 'echo' };
  }
  events = await locate(events, deps.channels);
  events = await hashCustomersWith(events, deps.customerSalt);
  // checked before anything is written: a key part that could name another item, or make a key
  // DynamoDB refuses, would otherwise be stored and then stall or corrupt what is folded from it
  for (const [i, e] of events.entries()) {
    const bad = keyPartViolation(e);
    if (bad) {
      return quarantine(
        deps.table,
        messageBody,
        delivery,
        { reason: 'invalid-key', message: `events[${i}] (${e.type}).${bad.field}: ${bad.problem}` },
        now,
      );
    }
  }
  // a connection limited to some locations (a partner's) writes only there
  const outside = delivery.locations ? locationOutside(events, new Set(delivery.locations)) : undefined;
  if (outside) {
    return quarantine(
      deps.table,
      messageBody,
      delivery,
      {
        reason: 'forbidden-location',
        message: `connection ${delivery.connectionId} may write only at ${delivery.locations!.join(', ')}; ${outside}`,
      },
      now,
    );
  }
  let applied: number;
  let oversells = 0;
  let unmappedLines = 0;
  const observer = {
    oversells: (n: number) => void (oversells += n),
    unmappedLines: (n: number) => void (unmappedLines += n),
  };
  try {
    applied = await applyEvents(deps.table, events, now, observer);
  } catch (err) {
    if (err instanceof UnresolvableEventError) {
      const out = await quarantine(
        deps.table,
        messageBody,
        delivery,
        { reason: err.reason, message: err.message, ...(err.externalId ? { externalId: err.externalId } : {}) },
        now,
      );
      // after the quarantine item is written, so the lookup's replay finds it
      if (err.reason === 'unmapped-listing' && err.externalId) await lookUpListing(deps, delivery, err.externalId);
      return out;
    }
    // the table refuses the write as it is (an item over 400 KB, a number it cannot hold): every
    // retry would fail the same way, so it is poison, not a reason to retry into the DLQ
    if (err instanceof TableValidationError) {
      return quarantine(deps.table, messageBody, delivery, { reason: 'table-rejected', message: messageOf(err) }, now);
    }
    throw err;
  }
  // after the pending item is written, so the fetch finds it; also on a redelivery (applied 0),
  // whose first attempt may have failed between the write and the send
  if (deps.hydration) {
    for (const e of events) {
      if (e.type !== 'HydrationPending' || e.entity !== 'order' || !HYDRATED_SOURCES.has(e.source)) continue;
      await requestHydration(
        { table: deps.table, queue: deps.hydration, now },
        { connectionId: delivery.connectionId, channel: e.channel, source: e.source, externalId: e.externalId },
      );
    }
  }
  return {
    status: applied > 0 ? 'applied' : 'noop',
    deliveryId: delivery.deliveryId,
    events: events.length,
    applied,
    oversells,
    ...(unmappedLines > 0 ? { unmappedLines } : {}),
  };
}

/**
 * Queues the catalog lookup of an unmapped listing, when the sender has a catalog the hub reads
 * and the connection has API credentials. Also on a redelivery: its first attempt may have failed
 * between the quarantine and the send (a repeat sends nothing while a lookup is in flight).
 */
async function lookUpListing(deps: NormalizeDeps, delivery: Delivery, externalId: string): Promise<void> {
  if (!deps.hydration || !deps.catalogLookups || !CATALOG_SOURCES.has(delivery.source)) return;
  if (!(await deps.catalogLookups.enabled(delivery.connectionId))) return;
  await requestListingLookup(
    { table: deps.table, queue: deps.hydration, now: deps.now },
    {
      connectionId: delivery.connectionId,
      channel: delivery.channel,
      source: delivery.source,
      externalId,
      deliveryId: delivery.deliveryId,
    },
  );
}

/** The first location an event names that is not in `allowed`, described; undefined when none. */
function locationOutside(events: CanonicalEvent[], allowed: ReadonlySet<string>): string | undefined {
  for (const [i, e] of events.entries()) {
    const named: (string | undefined)[] =
      e.type === 'StockLevelSet' || e.type === 'StockAdjusted'
        ? [e.locationId]
        : e.type === 'OrderUpserted'
          ? [e.locationId, ...e.lines.map((l) => l.locationId)]
          : e.type === 'RefundRecorded'
            ? e.lines.map((l) => l.locationId)
            : [];
    const bad = named.find((l) => l !== undefined && !allowed.has(l));
    if (bad !== undefined) return `events[${i}] (${e.type}) names location ${bad}`;
  }
  return undefined;
}

/**
 * The counts among `events` that echo a push of the hub's (shared/outbound/connectors/echo.ts):
 * the channel's own listing and location ids, before they are located in the hub.
 */
async function echoesOf(
  table: TablePort,
  channels: ChannelPort,
  events: CanonicalEvent[],
): Promise<Set<CanonicalEvent>> {
  const out = new Set<CanonicalEvent>();
  if (!events.some((e) => e.type === 'StockLevelSet' && e.inventoryItemId !== undefined)) return out;
  // only a channel the hub pushes to can echo (one cached list: no read for any other count)
  const pushed = new Set((await channels.list()).filter((c) => c.push).map((c) => c.channel));
  for (const e of events) {
    if (e.type !== 'StockLevelSet' || e.inventoryItemId === undefined || !pushed.has(e.channel)) continue;
    const key = keys.pushed(e.channel, e.inventoryItemId, e.locationId);
    if (keyProblem(key)) continue; // never pushed to: a key the table would refuse is not one the hub wrote
    const item = await table.get(key);
    if (!item) continue;
    const last: PushRecord = {
      channel: e.channel,
      listing: e.inventoryItemId,
      location: e.locationId,
      quantity: Number(item.quantity),
      at: Number(item.pushedAt),
    };
    const report = {
      channel: e.channel,
      listing: e.inventoryItemId,
      location: e.locationId,
      quantity: e.quantity,
      at: Date.parse(e.asOf),
    };
    if (isEcho(last, report)) out.add(e);
  }
  return out;
}

/** The events at the hub's locations, by their channels' configurations (one cached list). */
async function locate(events: CanonicalEvent[], channels: ChannelPort): Promise<CanonicalEvent[]> {
  if (events.length === 0) return events;
  const configs = new Map((await channels.list()).map((c) => [c.channel, c]));
  return locateEvents(events, configs);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message.slice(0, 2000) : String(err);
}

async function quarantine(
  table: TablePort,
  messageBody: string,
  delivery: Delivery | undefined,
  why: QuarantineReason,
  now: () => Date,
): Promise<NormalizeOutcome> {
  const receivedAt = delivery?.receivedAt ?? now().toISOString();
  const deliveryId = delivery?.deliveryId ?? `unparsed-${hashOf(messageBody)}`;
  const key = keys.quarantine(receivedAt.slice(0, 10), receivedAt, deliveryId);
  // written unconditionally: a replayed delivery that fails again is listed as quarantined again
  await table.write([
    {
      kind: 'put',
      item: {
        ...key,
        type: 'quarantine',
        status: 'quarantined',
        reason: why.reason,
        message: why.message,
        deliveryId,
        connectionId: delivery?.connectionId,
        source: delivery?.source,
        channel: delivery?.channel,
        externalId: why.externalId,
        receivedAt,
        quarantinedAt: now().toISOString(),
        // the raw queued message: replay sends exactly this back through the queue
        message_body: messageBody,
      },
    },
  ]);
  return { status: 'quarantined', deliveryId, ...why };
}

function hashOf(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 20);
}

/** The SellerId an SP-API notification names (its payload's, wherever the type puts it). */
function sellerOf(n: unknown): string | undefined {
  const o = n as Record<string, unknown>;
  const payload = (o.Payload ?? (o.detail as Record<string, unknown> | undefined)?.Payload) as
    | Record<string, unknown>
    | undefined;
  if (!payload) return undefined;
  if (typeof payload.SellerId === 'string') return payload.SellerId;
  for (const v of Object.values(payload)) {
    if (v && typeof v === 'object' && typeof (v as Record<string, unknown>).SellerId === 'string')
      return (v as Record<string, string>).SellerId;
  }
  return undefined;
}

function isSpapiNotification(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== 'object' || 'v' in v) return false;
  const o = v as Record<string, unknown>;
  // SQS delivery: the notification itself; EventBridge target: the notification under `detail`
  return (
    typeof o.NotificationType === 'string' ||
    (typeof o.detail === 'object' && o.source === 'aws.partner/sellingpartnerapi.amazon.com')
  );
}

function spapiDelivery(
  raw: string,
  n: Record<string, unknown>,
  src: SpapiSource,
  meta: MessageMeta | undefined,
  now: () => Date,
): Delivery {
  const md = (n.NotificationMetadata ?? (n.detail as Record<string, unknown> | undefined)?.NotificationMetadata) as
    | Record<string, unknown>
    | undefined;
  const notificationId = typeof md?.NotificationId === 'string' ? md.NotificationId : undefined;
  const receivedAt = new Date(meta?.sentAt ?? now().getTime()).toISOString();
  // the FBA inventory schema has no NotificationMetadata: fall back to a hash of the body
  const dedupKey = notificationId ?? createHash('sha256').update(raw).digest('hex');
  return {
    v: 1,
    deliveryId: `spapi_${meta?.messageId ?? dedupKey}`,
    connectionId: src.connectionId,
    source: 'amazon',
    channel: src.channel,
    partner: null,
    dedupKey,
    receivedAt,
    headers: {},
    body: { kind: 'inline', encoding: 'utf8', data: raw },
  };
}
