import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import { KeyPartSchema } from '#shared/domain/key-part-schema.ts';
import type { StockChangeEvent } from '#shared/outbound/events.ts';

/**
 * Outbound subscriptions: an endpoint a partner, WMS or ERP registered to receive stock-change
 * events, signed per the Standard Webhooks specification with the endpoint's own `whsec_` secret.
 */
export const OUTBOUND_EVENT_TYPES = ['stock.available.changed', 'stock.balance.changed'] as const;
export const OutboundEventTypeSchema = z.enum(OUTBOUND_EVENT_TYPES);

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

/** https anywhere; plain http only to the loopback (local hubs and tests) */
export const EndpointUrlSchema = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine((u) => {
    const url = new URL(u);
    return url.protocol === 'https:' || LOOPBACK.test(url.hostname);
  }, 'must be https (plain http only to 127.0.0.1 / localhost)');

export const SecretEntrySchema = z.object({
  secret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{20,}$/),
  createdAt: z.string(),
  /** the previous secret of a rotation stops signing at this time (absent: until the rotation is ended) */
  expiresAt: z.string().optional(),
});

export const SubscriptionSchema = z.object({
  id: z.string().regex(/^sub_[A-Za-z0-9]{8,40}$/),
  url: EndpointUrlSchema,
  events: z.array(OutboundEventTypeSchema).min(1),
  /** only these channels' available-to-sell (absent: every channel the subscription may see) */
  channels: z.array(KeyPartSchema).min(1).optional(),
  /** only these locations' balances (absent: every location for a hub-wide subscription, none for a partner's) */
  locations: z.array(KeyPartSchema).min(1).optional(),
  /** the partner it belongs to: it sees that partner's channels only; null = hub-wide */
  partner: z.string().min(1).nullable(),
  /** one secret, or two during a rotation (every delivery is signed with each) */
  secrets: z.array(SecretEntrySchema).min(1).max(2),
  status: z.enum(['active', 'disabled']),
  disabledReason: z.string().optional(),
  createdAt: z.string(),
});
export type Subscription = z.infer<typeof SubscriptionSchema>;

/** What a caller supplies to create one (CLI, admin API). */
export const NewSubscriptionSchema = z.strictObject({
  url: EndpointUrlSchema,
  events: z.array(OutboundEventTypeSchema).min(1),
  channels: z.array(KeyPartSchema).min(1).optional(),
  locations: z.array(KeyPartSchema).min(1).optional(),
  partner: z.string().min(1).nullable().default(null),
});
export type NewSubscription = z.input<typeof NewSubscriptionSchema>;

/** A fresh `whsec_` secret: 32 random bytes, base64 (the Standard Webhooks format). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export function newSubscriptionId(): string {
  return `sub_${randomBytes(12).toString('hex')}`;
}

export function createSubscription(input: NewSubscription, now: Date): Subscription {
  const parsed = NewSubscriptionSchema.parse(input);
  return SubscriptionSchema.parse({
    id: newSubscriptionId(),
    ...parsed,
    secrets: [{ secret: newWebhookSecret(), createdAt: now.toISOString() }],
    status: 'active',
    createdAt: now.toISOString(),
  });
}

/**
 * Starts a rotation: a second secret beside the current one (the oldest is dropped if two exist).
 * With `overlapSeconds` the previous secret stops signing that long after (the admin API defaults
 * to 24 hours, as Svix does); without, it signs until the rotation is ended.
 */
export function rotateSecret(sub: Subscription, now: Date, overlapSeconds?: number): Subscription {
  const [previous] = sub.secrets.slice(-1);
  const kept = previous
    ? [
        overlapSeconds === undefined
          ? { secret: previous.secret, createdAt: previous.createdAt }
          : { ...previous, expiresAt: new Date(now.getTime() + overlapSeconds * 1000).toISOString() },
      ]
    : [];
  return { ...sub, secrets: [...kept, { secret: newWebhookSecret(), createdAt: now.toISOString() }] };
}

/** The secrets that sign a delivery at `now`: the newest always, the previous one until it expires. */
export function signingSecrets(sub: Subscription, now: Date): Subscription['secrets'] {
  const newest = sub.secrets.at(-1)!;
  return sub.secrets.filter(
    (s) => s === newest || s.expiresAt === undefined || Date.parse(s.expiresAt) > now.getTime(),
  );
}

/** Ends a rotation: only the newest secret stays. */
export function dropOldSecret(sub: Subscription): Subscription {
  return { ...sub, secrets: sub.secrets.slice(-1) };
}

/** The partner that owns a channel (null = the merchant's own; undefined = unknown channel). */
export type ChannelOwner = (channel: string) => string | null | undefined;

/**
 * Whether a subscription receives an event. A partner subscription never receives another
 * partner's channels or locations: a channel must be configured as the partner's own (an explicit
 * channel list only narrows that), and balances only of locations written on the subscription
 * (deny by default, as for partner API keys: locations have no owner recorded anywhere else).
 */
export function subscriptionMatches(sub: Subscription, event: StockChangeEvent, ownerOf: ChannelOwner): boolean {
  if (sub.status !== 'active' || !sub.events.includes(event.type)) return false;
  if (event.type === 'stock.available.changed') {
    const channel = event.data.channel;
    if (sub.channels && !sub.channels.includes(channel)) return false;
    if (sub.partner !== null && ownerOf(channel) !== sub.partner) return false;
    return true;
  }
  const location = event.data.location;
  if (sub.locations) return sub.locations.includes(location);
  return sub.partner === null;
}

/** The thing a version is counted on: `avail:<channel>:<sku>` or `bal:<sku>:<location>`. */
export function subjectOf(event: StockChangeEvent): string {
  return event.type === 'stock.available.changed'
    ? `avail:${event.data.channel}:${event.data.sku}`
    : `bal:${event.data.sku}:${event.data.location}`;
}

/**
 * The retry schedule, in seconds after the previous attempt failed: attempt 1 at once, then about
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (the schedule Svix publishes). Eight attempts over
 * about 27.6 hours; then the endpoint is disabled.
 */
export const RETRY_SCHEDULE_SECONDS = [0, 5, 300, 1800, 7200, 18000, 36000, 36000] as const;
export const MAX_ATTEMPTS = RETRY_SCHEDULE_SECONDS.length;

/**
 * Seconds to wait before attempt `nextAttempt` (2..MAX_ATTEMPTS), with ±10% jitter so endpoints that
 * failed together are not retried together; `random` is in [0, 1).
 */
export function retryDelaySeconds(nextAttempt: number, random: number): number {
  const base = RETRY_SCHEDULE_SECONDS[nextAttempt - 1];
  if (base === undefined) throw new RangeError(`attempt ${nextAttempt} is past the schedule`);
  return Math.max(0, Math.round(base * (0.9 + 0.2 * random)));
}

/** The body POSTed: the Standard Webhooks payload structure `{type, timestamp, data}`, plus the event id. */
export function deliveryBody(event: StockChangeEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.at, id: event.id, data: event.data });
}

/** `webhook-id`: the same for every attempt and replay of one event, so a receiver can drop repeats. */
export function webhookId(event: StockChangeEvent): string {
  return `msg_${Buffer.from(event.id).toString('base64url')}`;
}

/**
 * The three Standard Webhooks headers, signed with the official library (`standardwebhooks`) once
 * per active secret; during a rotation `webhook-signature` carries both, space-separated, and a
 * receiver holding either secret verifies.
 */
export function signedHeaders(
  secrets: readonly { secret: string }[],
  msgId: string,
  at: Date,
  body: string,
): Record<string, string> {
  const signatures = secrets.map((s) => new Webhook(s.secret).sign(msgId, at, body));
  return {
    'content-type': 'application/json',
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
