import type { CanonicalEvent } from '#shared/domain/events.ts';

/**
 * What fetching one order from a sender's API can come to. The clients answer `order` or
 * `not-found` and throw the rest: a throw means "try again later", and the error says when.
 */
export type FetchResult =
  | { kind: 'order'; events: CanonicalEvent[] }
  /** the sender says there is no such order (deleted, or never visible to these credentials) */
  | { kind: 'not-found' };

/** The sender's rate limit: the message is made visible again after exactly `retryAfterSeconds`. */
export class RateLimitedError extends Error {
  override name = 'RateLimitedError';
  constructor(
    readonly sender: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`${sender} rate limit reached: retry after ${retryAfterSeconds} s`);
  }
}

/** The credentials were refused: nothing the hub can fix by itself, an operator must replace them. */
export class UnauthorizedError extends Error {
  override name = 'UnauthorizedError';
  constructor(
    readonly sender: string,
    readonly status: number,
    detail: string,
  ) {
    super(
      `${sender} refused the API credentials (HTTP ${status}): ${detail}; ` +
        'set them with `npm run hub -- connections credentials <id> --token …`',
    );
  }
}

/** A server error, a timeout, an answer the hub cannot read: retried through the queue, then the DLQ. */
export class SenderUnavailableError extends Error {
  override name = 'SenderUnavailableError';
  constructor(
    readonly sender: string,
    readonly status: number | undefined,
    detail: string,
  ) {
    super(`${sender} API failed${status ? ` (HTTP ${status})` : ''}: ${detail}`);
  }
}

/**
 * The sender answered, but with an order the hub cannot read (a field missing or of the wrong
 * type, a quantity it cannot count): fetching again returns the same order, so it is quarantined
 * with this reason instead of being retried (docs/hydration.md).
 */
export class InvalidOrderError extends Error {
  override name = 'InvalidOrderError';
  constructor(
    readonly sender: string,
    detail: string,
  ) {
    super(`${sender} answered with an order the hub cannot read: ${detail}`.slice(0, 2000));
  }
}

/** No API credentials are stored for the connection. */
export class MissingCredentialsError extends Error {
  override name = 'MissingCredentialsError';
}

/** `fetch` as the clients use it: injected, so tests point it at fake sender servers. */
export type FetchFn = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<Response>;

/** SQS caps a message's visibility at 12 hours. */
export const MAX_RETRY_AFTER_SECONDS = 43_200;
/** when a 429 names no delay at all */
export const DEFAULT_RETRY_AFTER_SECONDS = 60;

/**
 * Seconds to wait, from a `Retry-After` value (RFC 9110: whole seconds or an HTTP date) or
 * undefined when it is absent or unreadable.
 */
export function retryAfterSeconds(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return clampDelay(Number(v));
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return clampDelay(Math.ceil((at - nowMs) / 1000));
}

export function clampDelay(seconds: number): number {
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, Math.ceil(seconds)));
}

/** The response's body, at most a few hundred characters of it, for error messages. */
export async function bodySnippet(res: Response): Promise<string> {
  try {
    return (await res.text()).slice(0, 300);
  } catch {
    return '';
  }
}

/** A zod error as one line: each issue's path and message. */
export function issues(err: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ')
    .slice(0, 1000);
}
