import {
  bodySnippet,
  DEFAULT_RETRY_AFTER_SECONDS,
  type FetchFn,
  RateLimitedError,
  retryAfterSeconds,
  SenderUnavailableError,
  UnauthorizedError,
} from '#shared/hydrate/errors.ts';

/**
 * The request and answer handling every sender client shares (orders, catalog lookups): a network
 * failure, a 429, a refused credential, a 404, another failure status and an unreadable body each
 * become the same error or result whichever sender answered.
 */

/** `fetch`, with a failure to reach the sender as a SenderUnavailableError (retried later). */
export async function send(
  sender: string,
  fetch: FetchFn,
  url: string,
  init: Parameters<FetchFn>[1],
): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    throw new SenderUnavailableError(sender, undefined, (err as Error).message);
  }
}

/** The wait a 429 asks for: its Retry-After, else the default. */
export function retryAfterOf(res: Response, nowMs: number): number {
  return retryAfterSeconds(res.headers.get('retry-after'), nowMs) ?? DEFAULT_RETRY_AFTER_SECONDS;
}

/**
 * An answer's JSON body, or `{ status: 404 }` for a 404. A 429 is a RateLimitedError after
 * `rateLimitDelay` seconds, a 401/403 an UnauthorizedError (an operator must fix the credentials),
 * any other non-2xx or an unreadable body a SenderUnavailableError.
 */
export async function readAnswer(
  sender: string,
  res: Response,
  rateLimitDelay: (res: Response) => number,
): Promise<{ status: 404 } | { status: number; json: unknown }> {
  if (res.status === 429) throw new RateLimitedError(sender, rateLimitDelay(res));
  if (res.status === 401 || res.status === 403) throw new UnauthorizedError(sender, res.status, await bodySnippet(res));
  if (res.status === 404) return { status: 404 };
  if (!res.ok) throw new SenderUnavailableError(sender, res.status, await bodySnippet(res));
  try {
    return { status: res.status, json: await res.json() };
  } catch (err) {
    throw new SenderUnavailableError(sender, res.status, `unreadable body: ${(err as Error).message}`);
  }
}
