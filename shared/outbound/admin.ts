import type { z } from 'zod';
import type { Clock } from '#shared/domain/clock.ts';
import { RangeSchema, SubscriptionPatchSchema } from '#shared/outbound/admin-schemas.ts';
import { replay, type DeliveryLogEntry, type OutboundQueuePort } from '#shared/outbound/deliver.ts';
import {
  NewSubscriptionSchema,
  SubscriptionSchema,
  createSubscription,
  dropOldSecret,
  rotateSecret,
  type Subscription,
} from '#shared/outbound/subscriptions.ts';

/**
 * Managing outbound subscriptions: the use cases behind both `npm run hub -- subscriptions …` and
 * the admin API (`/v1/subscriptions…`). A caller is hub-wide (the CLI, an `admin` /
 * `subscriptions:admin` key without a partner) or a partner's key, which sees and manages only its
 * partner's subscriptions and creates only those; a key limited to channels or locations may name
 * only those.
 */
export interface SubscriptionAdminStore {
  listSubscriptions(): Promise<Subscription[]>;
  getSubscription(id: string): Promise<Subscription | undefined>;
  putSubscription(sub: Subscription): Promise<void>;
  removeSubscription(id: string): Promise<boolean>;
  enable(id: string): Promise<void>;
  disable(id: string, reason: string, at: Date): Promise<void>;
  deliveries(id: string, from: string, to: string): Promise<DeliveryLogEntry[]>;
}

export interface SubscriptionCaller {
  /** null: hub-wide */
  partner: string | null;
  channels?: string[] | undefined;
  locations?: string[] | undefined;
}

export const HUB_WIDE: SubscriptionCaller = { partner: null };

export class SubscriptionAdminError extends Error {
  override name = 'SubscriptionAdminError';
  constructor(
    readonly kind: 'not_found' | 'forbidden' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

/** What a subscription looks like to a caller: everything but the secrets (shown once, at creation and rotation). */
export type SubscriptionView = Omit<Subscription, 'secrets'> & {
  secrets: Array<{ createdAt: string; expiresAt?: string }>;
};

export function view(sub: Subscription): SubscriptionView {
  const { secrets, ...rest } = sub;
  return {
    ...rest,
    secrets: secrets.map((s) => ({ createdAt: s.createdAt, ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}) })),
  };
}

export {
  DEFAULT_ROTATION_OVERLAP_SECONDS,
  MAX_ROTATION_OVERLAP_SECONDS,
  RangeSchema,
  RotateSchema,
  SubscriptionPatchSchema,
  type SubscriptionPatch,
} from '#shared/outbound/admin-schemas.ts';

function invalid(error: z.ZodError): SubscriptionAdminError {
  return new SubscriptionAdminError(
    'invalid',
    error.issues.map((i) => `${i.path.map(String).join('.') || 'body'}: ${i.message}`).join('; '),
  );
}

export function parseWith<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw invalid(parsed.error);
  return parsed.data;
}

function checkScope(caller: SubscriptionCaller, sub: Pick<Subscription, 'channels' | 'locations'>): void {
  if (caller.channels) {
    if (!sub.channels)
      throw new SubscriptionAdminError(
        'forbidden',
        'this key may only subscribe to its channels: list them in channels',
      );
    const other = sub.channels.filter((c) => !caller.channels!.includes(c));
    if (other.length > 0)
      throw new SubscriptionAdminError('forbidden', `this key may not subscribe to channel(s) ${other.join(', ')}`);
  }
  if (caller.locations && sub.locations) {
    const other = sub.locations.filter((l) => !caller.locations!.includes(l));
    if (other.length > 0)
      throw new SubscriptionAdminError('forbidden', `this key may not subscribe to location(s) ${other.join(', ')}`);
  }
}

const owns = (caller: SubscriptionCaller, sub: Subscription) =>
  caller.partner === null || sub.partner === caller.partner;

export async function listSubscriptions(
  store: SubscriptionAdminStore,
  caller: SubscriptionCaller,
): Promise<Subscription[]> {
  return (await store.listSubscriptions())
    .filter((s) => owns(caller, s))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** One subscription the caller may manage; another partner's is "not found" (its existence is not revealed). */
export async function getSubscription(
  store: SubscriptionAdminStore,
  caller: SubscriptionCaller,
  id: string,
): Promise<Subscription> {
  const sub = /^sub_[A-Za-z0-9]{8,40}$/.test(id) ? await store.getSubscription(id) : undefined;
  if (!sub || !owns(caller, sub)) throw new SubscriptionAdminError('not_found', `no subscription ${id}`);
  return sub;
}

/** Creates one; the answer holds its secret, which is never shown again. */
export async function addSubscription(
  store: SubscriptionAdminStore,
  caller: SubscriptionCaller,
  input: unknown,
  now: Clock,
): Promise<{ subscription: Subscription; secret: string }> {
  const parsed = parseWith(NewSubscriptionSchema, input);
  if (caller.partner !== null) {
    if (parsed.partner !== null && parsed.partner !== caller.partner)
      throw new SubscriptionAdminError(
        'forbidden',
        `a key of partner ${caller.partner} creates only its own subscriptions`,
      );
    parsed.partner = caller.partner;
  }
  checkScope(caller, parsed);
  const subscription = createSubscription(parsed, now());
  await store.putSubscription(subscription);
  return { subscription, secret: subscription.secrets[0]!.secret };
}

export async function updateSubscription(
  store: SubscriptionAdminStore,
  caller: SubscriptionCaller,
  id: string,
  patch: unknown,
  now: Clock,
): Promise<Subscription> {
  const p = parseWith(SubscriptionPatchSchema, patch);
  const sub = await getSubscription(store, caller, id);
  const { channels, locations, status, ...rest } = p;
  const next: Subscription = { ...sub, ...rest };
  if (channels === null) delete next.channels;
  else if (channels) next.channels = channels;
  if (locations === null) delete next.locations;
  else if (locations) next.locations = locations;
  checkScope(caller, next);
  if (status === 'active') {
    next.status = 'active';
    delete next.disabledReason;
  } else if (status === 'disabled' && sub.status !== 'disabled') {
    next.status = 'disabled';
    next.disabledReason = `disabled by an admin at ${now().toISOString()}`;
  }
  await store.putSubscription(SubscriptionSchema.parse(next));
  return next;
}

export async function setEnabled(
  store: SubscriptionAdminStore,
  caller: SubscriptionCaller,
  id: string,
  enabled: boolean,
  now: Clock,
): Promise<Subscription> {
  const sub = await getSubscription(store, caller, id);
  if (enabled) await store.enable(sub.id);
  else await store.disable(sub.id, `disabled by an admin at ${now().toISOString()}`, now());
  return getSubscription(store, caller, id);
}

/** A second secret; the answer holds it (shown once). */
export async function rotate(
  store: SubscriptionAdminStore,
  caller: SubscriptionCaller,
  id: string,
  now: Clock,
  overlapSeconds?: number,
): Promise<{ subscription: Subscription; secret: string }> {
  const next = rotateSecret(await getSubscription(store, caller, id), now(), overlapSeconds);
  await store.putSubscription(next);
  return { subscription: next, secret: next.secrets.at(-1)!.secret };
}

export async function endRotation(
  store: SubscriptionAdminStore,
  caller: SubscriptionCaller,
  id: string,
): Promise<Subscription> {
  const next = dropOldSecret(await getSubscription(store, caller, id));
  await store.putSubscription(next);
  return next;
}

export async function removeSubscription(
  store: SubscriptionAdminStore,
  caller: SubscriptionCaller,
  id: string,
): Promise<void> {
  const sub = await getSubscription(store, caller, id);
  await store.removeSubscription(sub.id);
}

/** The delivery log between `from` and `to` (default: the last 24 hours), oldest first. */
export async function deliveryLog(
  store: SubscriptionAdminStore,
  caller: SubscriptionCaller,
  id: string,
  range: { from?: string | undefined; to?: string | undefined },
  now: Clock,
): Promise<{ from: string; to: string; deliveries: DeliveryLogEntry[] }> {
  const sub = await getSubscription(store, caller, id);
  const r = parseWith(RangeSchema, {
    from: range.from ?? new Date(now().getTime() - 86_400_000).toISOString(),
    ...(range.to ? { to: range.to } : {}),
  });
  const to = r.to ?? now().toISOString();
  return { from: r.from, to, deliveries: await store.deliveries(sub.id, r.from, to) };
}

/** Sends the newest logged version of each subject in the range again, as a fresh first attempt. */
export async function replayRange(
  store: SubscriptionAdminStore,
  queue: OutboundQueuePort,
  caller: SubscriptionCaller,
  id: string,
  range: unknown,
  now: Clock,
): Promise<{ from: string; to: string; queued: number }> {
  const sub = await getSubscription(store, caller, id);
  const r = parseWith(RangeSchema, range);
  const to = r.to ?? now().toISOString();
  const queued = await replay(await store.deliveries(sub.id, r.from, to), { queue, now });
  return { from: r.from, to, queued };
}
