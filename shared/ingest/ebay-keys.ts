import * as z from 'zod/mini';
import type { EbayKeyFetcher, EbayPublicKey } from '#shared/ingest/ports.ts';
import type { MsClock } from '#shared/domain/clock.ts';

/**
 * Production eBay key fetcher: `GET /commerce/notification/v1/public_key/{kid}` with an application
 * token (client-credentials grant), both cached, as eBay's SDK does (lib/validator.js caches keys;
 * a key for a kid does not change). Concurrent lookups of one kid share one request.
 *
 * The kid comes from an unauthenticated request, so a lookup is something anyone can make the hub
 * do, and eBay limits how many the app may make. Three bounds keep a stream of made-up kids from
 * spending that quota and getting genuine notifications refused:
 *  - a kid that is not of the form eBay's kids have is refused without a call;
 *  - a kid eBay does not know is remembered as unknown for `missTtlSeconds`;
 *  - at most `maxLookupsPerMinute` calls per container per minute, and none while eBay's
 *    Retry-After from a 429 runs; past either bound a new kid throws (the caller answers 503, eBay
 *    retries), while kids already cached keep verifying.
 */
export interface EbayAppCredentials {
  clientId: string;
  clientSecret: string;
}

export interface EbayKeyFetcherOptions {
  credentials: () => Promise<EbayAppCredentials>;
  /** default https://api.ebay.com */
  apiBase?: string;
  /** how long a key stays cached; default one hour */
  ttlSeconds?: number;
  timeoutMs?: number;
  /** how long "eBay does not know this kid" is remembered; default 60 s */
  missTtlSeconds?: number;
  /** key lookups per container per (sliding) minute; default 10 */
  maxLookupsPerMinute?: number;
  /** unknown kids remembered at most (oldest dropped first), so made-up kids cannot grow memory */
  maxMisses?: number;
  fetch?: typeof fetch;
  now: MsClock;
}

/**
 * The kids eBay sends are UUIDs (e.g. `9936261a-7d7b-4621-a0f1-96ccb428af49`); letters, digits and
 * dashes up to 64 leave room for another format of id while refusing paths, escapes and padding.
 */
const KID_FORM = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
export const isEbayKid = (kid: string): boolean => KID_FORM.test(kid);

const TokenSchema = z.object({ access_token: z.string(), expires_in: z.optional(z.number()) });
const KeySchema = z.object({ key: z.string(), algorithm: z.optional(z.string()), digest: z.optional(z.string()) });

export class EbayApiError extends Error {
  override name = 'EbayApiError';
}

export function ebayPublicKeyFetcher(opts: EbayKeyFetcherOptions): EbayKeyFetcher {
  const base = (opts.apiBase ?? 'https://api.ebay.com').replace(/\/$/, '');
  const ttlMs = (opts.ttlSeconds ?? 3600) * 1000;
  const timeoutMs = opts.timeoutMs ?? 3000;
  const doFetch = opts.fetch ?? fetch;
  const clock = opts.now;
  const missTtlMs = (opts.missTtlSeconds ?? 60) * 1000;
  const maxLookups = opts.maxLookupsPerMinute ?? 10;
  const maxMisses = opts.maxMisses ?? 1000;
  const keys = new Map<string, { key: EbayPublicKey; until: number }>();
  const misses = new Map<string, number>();
  const inflight = new Map<string, Promise<EbayPublicKey | undefined>>();
  /** when each lookup of the last minute started */
  const lookups: number[] = [];
  let pausedUntil = 0;
  let token: { value: string; until: number } | undefined;

  function remember(kid: string, until: number): void {
    misses.delete(kid);
    if (misses.size >= maxMisses) misses.delete(misses.keys().next().value!);
    misses.set(kid, until);
  }

  /** Takes one lookup from the budget, or says why none is left. */
  function admit(t: number): string | undefined {
    if (t < pausedUntil) return `eBay asked for a pause (429) until ${Math.ceil((pausedUntil - t) / 1000)} s from now`;
    while (lookups.length > 0 && t - lookups[0]! >= 60_000) lookups.shift();
    if (lookups.length >= maxLookups) return `more than ${maxLookups} eBay public key lookups in a minute`;
    lookups.push(t);
    return undefined;
  }

  async function appToken(): Promise<string> {
    if (token && token.until > clock()) return token.value;
    const { clientId, clientSecret } = await opts.credentials();
    const res = await doFetch(`${base}/identity/v1/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=https%3A%2F%2Fapi.ebay.com%2Foauth%2Fapi_scope',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new EbayApiError(`eBay token request failed: ${res.status}`);
    const parsed = TokenSchema.parse(await res.json());
    // renew a minute early so a token never expires between check and use
    token = { value: parsed.access_token, until: clock() + ((parsed.expires_in ?? 7200) - 60) * 1000 };
    return token.value;
  }

  async function fetchKey(kid: string): Promise<EbayPublicKey | undefined> {
    const res = await doFetch(`${base}/commerce/notification/v1/public_key/${encodeURIComponent(kid)}`, {
      headers: { authorization: `Bearer ${await appToken()}`, accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status === 404 || res.status === 400) {
      remember(kid, clock() + missTtlMs);
      return undefined;
    }
    if (res.status === 401) token = undefined;
    if (res.status === 429) {
      const seconds = Number(res.headers.get('retry-after'));
      pausedUntil = clock() + (Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 300) : 30) * 1000;
    }
    if (!res.ok) throw new EbayApiError(`eBay public_key request failed: ${res.status}`);
    const key = KeySchema.parse(await res.json());
    keys.set(kid, { key, until: clock() + ttlMs });
    return key;
  }

  return {
    get(kid) {
      if (!isEbayKid(kid)) return Promise.resolve(undefined);
      const t = clock();
      const hit = keys.get(kid);
      if (hit && hit.until > t) return Promise.resolve(hit.key);
      const miss = misses.get(kid);
      if (miss !== undefined && miss > t) return Promise.resolve(undefined);
      let p = inflight.get(kid);
      if (!p) {
        const refused = admit(t);
        if (refused) return Promise.reject(new EbayApiError(refused));
        p = fetchKey(kid).finally(() => inflight.delete(kid));
        inflight.set(kid, p);
      }
      return p;
    },
  };
}
