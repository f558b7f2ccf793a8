import * as z from 'zod/mini';
import type { EbayKeyFetcher, EbayPublicKey } from '#shared/ingest/ports.ts';
import type { MsClock } from '#shared/domain/clock.ts';

/**
 * Production eBay key fetcher: `GET /commerce/notification/v1/public_key/{kid}` with an application
 * token (client-credentials grant), both cached, as eBay's SDK does (lib/validator.js caches keys;
 * a key for a kid does not change). Concurrent lookups of one kid share one request.
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
  fetch?: typeof fetch;
  now: MsClock;
}

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
  const keys = new Map<string, { key: EbayPublicKey; until: number }>();
  const inflight = new Map<string, Promise<EbayPublicKey | undefined>>();
  let token: { value: string; until: number } | undefined;

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
    if (res.status === 404 || res.status === 400) return undefined;
    if (res.status === 401) token = undefined;
    if (!res.ok) throw new EbayApiError(`eBay public_key request failed: ${res.status}`);
    const key = KeySchema.parse(await res.json());
    keys.set(kid, { key, until: clock() + ttlMs });
    return key;
  }

  return {
    get(kid) {
      const hit = keys.get(kid);
      if (hit && hit.until > clock()) return Promise.resolve(hit.key);
      let p = inflight.get(kid);
      if (!p) {
        p = fetchKey(kid).finally(() => inflight.delete(kid));
        inflight.set(kid, p);
      }
      return p;
    },
  };
}
