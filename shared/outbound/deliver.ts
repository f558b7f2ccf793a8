import { z } from 'zod';
import type { Clock } from '#shared/domain/clock.ts';
import type { StockChangeEvent } from '#shared/outbound/events.ts';
import { pushAvailable, type ChannelPushDeps } from '#shared/outbound/connectors/push.ts';
import { ChannelRateLimited, ChannelRefused } from '#shared/outbound/connectors/errors.ts';
import {
  MAX_ATTEMPTS,
  OUTBOUND_EVENT_TYPES,
  deliveryBody,
  retryDelaySeconds,
  signedHeaders,
  signingSecrets,
  subjectOf,
  subscriptionMatches,
  webhookId,
  type ChannelOwner,
  type Subscription,
} from '#shared/outbound/subscriptions.ts';

/** SQS holds a message back at most 15 minutes: a longer retry wait is taken in hops of this size. */
export const MAX_QUEUE_DELAY_SECONDS = 900;
/** Delivery log entries expire after this long (DynamoDB TTL). */
export const DELIVERY_LOG_TTL_DAYS = 30;

const VersionSchema = z.number().int().min(0);
const KeyPart = z.string().min(1).max(512);
export const StockChangeEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal(OUTBOUND_EVENT_TYPES[0]),
    id: z.string().min(1).max(1024),
    at: z.string(),
    data: z.object({ channel: KeyPart, sku: KeyPart, availableToSell: z.number().int(), version: VersionSchema }),
  }),
  z.object({
    type: z.literal(OUTBOUND_EVENT_TYPES[1]),
    id: z.string().min(1).max(1024),
    at: z.string(),
    data: z.object({
      sku: KeyPart,
      location: KeyPart,
      onHand: z.number(),
      reserved: z.number(),
      available: z.number(),
      version: VersionSchema,
    }),
  }),
]);

/** Messages on the outbound queue. */
export const OutboundMessageSchema = z.discriminatedUnion('kind', [
  /** what the publisher sends: one fold batch's events (or a part of them) */
  z.object({ kind: z.literal('events'), events: z.array(StockChangeEventSchema) }),
  /** one event for one subscription: a retry after a failed attempt, or a replay */
  z.object({
    kind: z.literal('attempt'),
    subscriptionId: z.string().min(1),
    event: StockChangeEventSchema,
    attempt: z.number().int().min(1).max(MAX_ATTEMPTS),
    /** not before this epoch millisecond (a wait past SQS's 15-minute limit is taken in hops) */
    dueAt: z.number().int(),
    replay: z.boolean().optional(),
  }),
  /** one channel's available-to-sell to push to the channel itself, again: after a 429 or a failure */
  z.object({
    kind: z.literal('push'),
    event: StockChangeEventSchema,
    attempt: z.number().int().min(1).max(MAX_ATTEMPTS),
    dueAt: z.number().int(),
  }),
]);
export type OutboundMessage = z.infer<typeof OutboundMessageSchema>;

export type DeliveryStatus = 'delivered' | 'retrying' | 'failed' | 'superseded';

export interface DeliveryLogEntry {
  subscriptionId: string;
  event: StockChangeEvent;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode?: number;
  lastError?: string;
  updatedAt: string;
}

export type ClaimOutcome = 'claimed' | 'superseded' | 'duplicate';

/** Where subscriptions, per-subject versions and the delivery log live (DynamoDB: shared/aws/outbound-store.ts). */
export interface OutboundStore {
  listSubscriptions(): Promise<Subscription[]>;
  getSubscription(id: string): Promise<Subscription | undefined>;
  /**
   * Records that `version` of `subject` is being sent to the subscription, unless a newer version
   * was already sent (superseded) or this one was already confirmed (duplicate; a replay may send
   * a confirmed version again, never an older one).
   */
  claim(subscriptionId: string, subject: string, version: number, replay: boolean): Promise<ClaimOutcome>;
  /** the endpoint acknowledged `version` (kept only if higher than the one recorded) */
  confirm(subscriptionId: string, subject: string, version: number, at: Date): Promise<void>;
  log(entry: DeliveryLogEntry): Promise<void>;
  disable(subscriptionId: string, reason: string, at: Date): Promise<void>;
}

export interface OutboundQueuePort {
  send(message: OutboundMessage, delaySeconds: number): Promise<void>;
}

export type OutboundMetric =
  | 'OutboundDelivered'
  | 'OutboundRetried'
  | 'OutboundSuperseded'
  | 'OutboundDuplicate'
  | 'OutboundEndpointDisabled'
  | 'ChannelPushed'
  | 'ChannelPushSuperseded'
  | 'ChannelPushRetried'
  | 'ChannelPushFailed';

export interface OutboundDeps {
  store: OutboundStore;
  queue: OutboundQueuePort;
  /** POSTs a delivery; a timeout is the caller's (the runtime bounds each request) */
  post(url: string, init: { headers: Record<string, string>; body: string }): Promise<{ status: number }>;
  /** the partner owning each channel */
  channelOwners(): Promise<ChannelOwner>;
  now: Clock;
  random: () => number;
  count?(metric: OutboundMetric, n?: number): void;
  /** channel connectors (absent: events go to subscriptions only) */
  channelPush?: ChannelPushDeps;
  /** why a push was given up (logged by the function) */
  warn?(message: string, detail: Record<string, unknown>): void;
}

/** One message off the outbound queue. A throw leaves it to SQS to redeliver (and to the DLQ at the end). */
export async function handleOutboundMessage(body: string, deps: OutboundDeps): Promise<void> {
  const message = OutboundMessageSchema.parse(JSON.parse(body));
  if (message.kind === 'events') return fanOut(message.events as StockChangeEvent[], deps);
  const now = deps.now().getTime();
  if (message.kind === 'push') {
    if (message.dueAt > now + 1000) {
      await deps.queue.send(message, Math.min(MAX_QUEUE_DELAY_SECONDS, Math.ceil((message.dueAt - now) / 1000)));
      return;
    }
    return pushToChannel(message.event as StockChangeEvent, message.attempt, deps);
  }
  if (message.dueAt > now + 1000) {
    // not due yet: another hop (SQS delays at most 15 minutes)
    const wait = Math.ceil((message.dueAt - now) / 1000);
    await deps.queue.send(message, Math.min(MAX_QUEUE_DELAY_SECONDS, wait));
    return;
  }
  const sub = await deps.store.getSubscription(message.subscriptionId);
  if (sub?.status !== 'active') return; // removed or disabled since: nothing to send
  await attemptDelivery(sub, message.event as StockChangeEvent, message.attempt, message.replay === true, deps);
}

/** Each event to every subscription that matches it: the first attempt at once, from here. */
export async function fanOut(events: readonly StockChangeEvent[], deps: OutboundDeps): Promise<void> {
  if (events.length === 0) return;
  const [subs, ownerOf] = await Promise.all([deps.store.listSubscriptions(), deps.channelOwners()]);
  const work: Promise<void>[] = [];
  if (deps.channelPush) for (const event of events) work.push(pushToChannel(event, 1, deps));
  for (const sub of subs)
    for (const event of events)
      if (subscriptionMatches(sub, event, ownerOf)) work.push(attemptDelivery(sub, event, 1, false, deps));
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  // a store or queue failure: the whole message comes back; what was confirmed is skipped then
  if (failed) throw failed.reason;
}

/**
 * One attempt of one event to one subscription. Claims the version first, so no attempt sends a
 * version older than one already sent to this subscription for the same subject; confirms it on
 * a 2xx; otherwise schedules the next attempt on the queue (never by sleeping), and after the
 * last one disables the endpoint.
 */
export async function attemptDelivery(
  sub: Subscription,
  event: StockChangeEvent,
  attempt: number,
  replay: boolean,
  deps: OutboundDeps,
): Promise<void> {
  const subject = subjectOf(event);
  const version = event.data.version;
  const claim = await deps.store.claim(sub.id, subject, version, replay);
  if (claim === 'duplicate') {
    deps.count?.('OutboundDuplicate');
    return;
  }
  const at = deps.now();
  if (claim === 'superseded') {
    deps.count?.('OutboundSuperseded');
    await deps.store.log({
      subscriptionId: sub.id,
      event,
      status: 'superseded',
      attempts: attempt - 1,
      updatedAt: at.toISOString(),
    });
    return;
  }
  const body = deliveryBody(event);
  const headers = signedHeaders(signingSecrets(sub, at), webhookId(event), at, body);
  let statusCode: number | undefined;
  let error: string | undefined;
  try {
    statusCode = (await deps.post(sub.url, { headers, body })).status;
    if (statusCode < 200 || statusCode > 299) error = `HTTP ${statusCode}`;
  } catch (err) {
    error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  const base = { subscriptionId: sub.id, event, attempts: attempt, updatedAt: at.toISOString() };
  const code = statusCode === undefined ? {} : { lastStatusCode: statusCode };
  if (error === undefined) {
    await deps.store.confirm(sub.id, subject, version, at);
    await deps.store.log({ ...base, ...code, status: 'delivered' });
    deps.count?.('OutboundDelivered');
    return;
  }
  if (attempt < MAX_ATTEMPTS) {
    const delay = retryDelaySeconds(attempt + 1, deps.random());
    await deps.queue.send(
      {
        kind: 'attempt',
        subscriptionId: sub.id,
        event,
        attempt: attempt + 1,
        dueAt: at.getTime() + delay * 1000,
        replay,
      },
      Math.min(MAX_QUEUE_DELAY_SECONDS, delay),
    );
    await deps.store.log({ ...base, ...code, status: 'retrying', lastError: error });
    deps.count?.('OutboundRetried');
    return;
  }
  await deps.store.log({ ...base, ...code, status: 'failed', lastError: error });
  await deps.store.disable(sub.id, `${MAX_ATTEMPTS} attempts of ${event.id} failed; last: ${error}`, at);
  deps.count?.('OutboundEndpointDisabled');
}

/**
 * Replays what the delivery log holds for a subscription between two times: per subject only the
 * newest version logged (an older one would be refused by the version claim anyway), each sent as
 * a fresh first attempt. Returns how many were queued.
 */
export async function replay(
  entries: readonly DeliveryLogEntry[],
  deps: Pick<OutboundDeps, 'queue' | 'now'>,
): Promise<number> {
  const newest = new Map<string, DeliveryLogEntry>();
  for (const e of entries) {
    const key = `${e.subscriptionId}|${subjectOf(e.event)}`;
    const seen = newest.get(key);
    if (!seen || seen.event.data.version < e.event.data.version) newest.set(key, e);
  }
  const dueAt = deps.now().getTime();
  for (const e of newest.values())
    await deps.queue.send(
      { kind: 'attempt', subscriptionId: e.subscriptionId, event: e.event, attempt: 1, dueAt, replay: true },
      0,
    );
  return newest.size;
}

/**
 * One channel's available-to-sell to the channel itself (channel connectors). A rate limit waits
 * what the channel asked for; another failure follows the retry schedule; a refusal (bad
 * credentials, unknown id) is counted and logged, not retried: the next change pushes again.
 */
export async function pushToChannel(event: StockChangeEvent, attempt: number, deps: OutboundDeps): Promise<void> {
  if (event.type !== 'stock.available.changed' || !deps.channelPush) return;
  let wait: number | undefined;
  let error: string;
  try {
    const outcome = await pushAvailable(event, deps.channelPush);
    if (outcome === 'pushed') deps.count?.('ChannelPushed');
    if (outcome === 'superseded') deps.count?.('ChannelPushSuperseded');
    return;
  } catch (err) {
    if (err instanceof ChannelRefused) {
      deps.count?.('ChannelPushFailed');
      deps.warn?.('channel refused the push', { eventId: event.id, error: err.message });
      return;
    }
    if (err instanceof ChannelRateLimited) wait = err.retryAfterSeconds;
    error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  if (wait === undefined && attempt >= MAX_ATTEMPTS) {
    deps.count?.('ChannelPushFailed');
    deps.warn?.('channel push given up', { eventId: event.id, attempts: attempt, error });
    return;
  }
  // a rate limit is not the channel failing: it does not use up an attempt
  const next = wait === undefined ? attempt + 1 : attempt;
  const delay = wait ?? retryDelaySeconds(next, deps.random());
  await deps.queue.send(
    { kind: 'push', event, attempt: next, dueAt: deps.now().getTime() + delay * 1000 },
    Math.min(MAX_QUEUE_DELAY_SECONDS, delay),
  );
  deps.count?.('ChannelPushRetried');
}
