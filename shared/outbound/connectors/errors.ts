import { clampDelay, retryAfterSeconds } from '#shared/hydrate/errors.ts';

/** The channel asked the hub to come back later: the push waits `retryAfterSeconds` as a delayed queue message. */
export class ChannelRateLimited extends Error {
  override name = 'ChannelRateLimited';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The channel refused the push as it is (bad id, missing scope): retrying the same push will not help. */
export class ChannelRefused extends Error {
  override name = 'ChannelRefused';
}

/** when a 429 names no delay at all */
export const DEFAULT_CHANNEL_WAIT_SECONDS = 10;

/**
 * Seconds to wait after a 429: `Retry-After` (seconds or an HTTP date), else BigCommerce's
 * `X-Rate-Limit-Time-Reset-Ms`, else a default.
 */
export function channelWaitSeconds(res: Response, nowMs: number): number {
  const after = retryAfterSeconds(res.headers.get('retry-after'), nowMs);
  if (after !== undefined) return Math.max(1, after);
  const resetMs = Number(res.headers.get('x-rate-limit-time-reset-ms'));
  if (res.headers.has('x-rate-limit-time-reset-ms') && Number.isFinite(resetMs) && resetMs >= 0)
    return Math.max(1, clampDelay(resetMs / 1000));
  return DEFAULT_CHANNEL_WAIT_SECONDS;
}

/** At most a few hundred characters of a response body, for error messages. */
export async function snippet(res: Response): Promise<string> {
  try {
    return (await res.text()).slice(0, 300);
  } catch {
    return '';
  }
}

/** A numeric id kept as text by the hub, checked before it goes into a JSON number (never rounded). */
export function numericId(id: string, what: string): number {
  if (!/^\d{1,15}$/.test(id)) throw new ChannelRefused(`${what} ${id} is not a numeric id`);
  return Number(id);
}
