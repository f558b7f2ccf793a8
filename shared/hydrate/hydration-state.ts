import type { Item } from '#shared/table/port.ts';
import { IN_FLIGHT_MAX_MS, needsFetch } from '#shared/hydrate/hydrate.ts';

/**
 * Where one order's fetch stands, as `npm run hub -- hydration list` tells it (docs/hydration.md):
 *  - `queued`: a fetch message is on the hydrate queue or being processed;
 *  - `backing-off`: the sender answered 429; the message reappears at `until`;
 *  - `failed`: the last attempt failed (`reason`: 401, 5xx, timeout…); the queue retries it, then its DLQ;
 *  - `in-dlq`: its message is in the hydrate DLQ (`hydration retry --dlq` sends it back);
 *  - `stalled`: a webhook waits for a fetch but no message is on its way (the claim expired or the
 *    send was lost); `hydration retry` sends one;
 *  - `quarantined`: the fetched order could not be read (`quarantine replay`);
 *  - `done`: the last fetch covered every webhook (`fetched` or `not-found` at the sender).
 */
export type HydrationState = 'queued' | 'backing-off' | 'failed' | 'in-dlq' | 'stalled' | 'quarantined' | 'done';

export interface PendingFetch {
  channel: string;
  source: string;
  /** the order id, or for `entity: 'listing'` the listing id a stock webhook named */
  orderId: string;
  /** `listing`: a catalog lookup of an unmapped listing (docs/hydration.md) */
  entity: 'order' | 'listing';
  connectionId?: string;
  state: HydrationState;
  /** queued, failed: when the message was sent; done, quarantined: when the fetch finished */
  since?: string;
  /** backing-off: when the sender allows the next call */
  until?: string;
  reason?: string;
}

/** The states `hydration retry --failed` sends a new fetch for: nothing is on its way, or it keeps failing. */
export const RETRYABLE: readonly HydrationState[] = ['failed', 'in-dlq', 'stalled'];

export function hydrationState(item: Item, now: Date, inDlq: boolean): PendingFetch {
  const str = (k: string) => (typeof item[k] === 'string' ? (item[k] as string) : undefined);
  const base = {
    channel: String(item.channel),
    source: String(item.source),
    orderId: String(item.externalId),
    entity: item.entity === 'listing' ? ('listing' as const) : ('order' as const),
    ...(str('connectionId') ? { connectionId: str('connectionId') } : {}),
  };
  const enqueuedAt = str('enqueuedAt');
  const retryAt = str('retryAt');
  const lastError = str('lastError');
  if (inDlq) return { ...base, state: 'in-dlq', ...(lastError ? { reason: lastError } : {}) };
  if (enqueuedAt) {
    if (retryAt && Date.parse(retryAt) > now.getTime())
      return {
        ...base,
        state: 'backing-off',
        since: enqueuedAt,
        until: retryAt,
        ...(lastError ? { reason: lastError } : {}),
      };
    if (lastError) return { ...base, state: 'failed', since: enqueuedAt, reason: lastError };
    if (now.getTime() - Date.parse(enqueuedAt) >= IN_FLIGHT_MAX_MS)
      return { ...base, state: 'stalled', since: enqueuedAt, reason: 'no fetch finished within 15 minutes' };
    return { ...base, state: 'queued', since: enqueuedAt };
  }
  if (item.outcome === 'quarantined' && needsFetch(item))
    return { ...base, state: 'quarantined', ...(str('fetchedAt') ? { since: str('fetchedAt') } : {}) };
  if (needsFetch(item))
    return { ...base, state: 'stalled', since: str('occurredAt'), reason: 'a webhook waits and no fetch is queued' };
  return {
    ...base,
    state: 'done',
    ...(str('fetchedAt') ? { since: str('fetchedAt') } : {}),
    reason: str('outcomeReason')
      ? `${String(item.outcome)}: ${str('outcomeReason')}`
      : String(item.outcome ?? 'fetched'),
  };
}
