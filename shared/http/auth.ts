import { hashApiKey, type ApiKeyRecord, type ApiKeyScope } from '#shared/http/api-key.ts';
import { HttpError } from '#shared/http/errors.ts';
import type { MsClock } from '#shared/domain/clock.ts';

/**
 * API-key authentication and authorization for the read APIs (stock, kpi). Generic on purpose:
 * a caller passes a lookup port, so the rules are tested without a table.
 *
 * 401 = no key, or a key the hub does not know (unknown and revoked look the same, so a caller
 * cannot probe which keys once existed). 403 = a known key asking for something it may not have.
 */
export type ApiKeyLookup = (presentedKey: string) => Promise<ApiKeyRecord | undefined>;

export interface AuthenticatorOptions {
  /**
   * How long a lookup is reused. Revocation must take effect within a minute, so this is capped
   * at 60; the default 30 leaves room for a slow container clock.
   */
  maxAgeSeconds?: number;
  /**
   * How long "unknown key" is remembered: short, so a key created a moment ago works almost at
   * once, but long enough that a client hammering with a bad key costs one read per few seconds.
   */
  negativeMaxAgeSeconds?: number;
  /** entries kept at most (oldest dropped first): random made-up keys must not grow memory */
  maxEntries?: number;
  now: MsClock;
}

export type Authenticate = (headers: Record<string, string | undefined> | undefined) => Promise<ApiKeyRecord>;

const BEARER = /^Bearer[ ]+([A-Za-z0-9._~+/=-]{1,512})[ ]*$/i;

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'unauthorized', message, { headers: { 'www-authenticate': 'Bearer' } });
}

/** The presented key from `Authorization: Bearer <key>` (header names in any case). */
export function bearerKey(headers: Record<string, string | undefined> | undefined): string | undefined {
  let value: string | undefined;
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === 'authorization') value = v;
  if (value === undefined) return undefined;
  return BEARER.exec(value)?.[1];
}

export function createAuthenticator(
  lookup: ApiKeyLookup,
  options: AuthenticatorOptions,
): Authenticate & { clearCache(): void } {
  const maxAgeMs = Math.min(options.maxAgeSeconds ?? 30, 60) * 1000;
  const negativeMs = Math.min(options.negativeMaxAgeSeconds ?? 5, 60) * 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now;
  // keyed by hash: the cache never holds key text longer than the request that carried it.
  // The promise is cached, so concurrent requests with one key share one lookup.
  const cache = new Map<string, { at: number; record: Promise<ApiKeyRecord | undefined> }>();

  async function resolve(key: string): Promise<ApiKeyRecord | undefined> {
    const id = hashApiKey(key);
    const t = now();
    const hit = cache.get(id);
    if (hit) {
      const record = await hit.record;
      if (t - hit.at < (record ? maxAgeMs : negativeMs)) return record;
      cache.delete(id);
    }
    const record = lookup(key);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
    cache.set(id, { at: t, record });
    // a failed lookup (table unavailable) is not remembered: the next request tries again
    record.catch(() => cache.delete(id));
    return record;
  }

  const authenticate = async (headers: Record<string, string | undefined> | undefined) => {
    const key = bearerKey(headers);
    if (!key) throw unauthorized('send the API key as "Authorization: Bearer <key>"');
    const record = await resolve(key);
    if (!record) throw unauthorized('unknown or revoked API key');
    return record;
  };
  return Object.assign(authenticate, { clearCache: () => cache.clear() });
}

/** `admin` holds every scope. */
export function hasScope(key: ApiKeyRecord, scope: ApiKeyScope): boolean {
  return key.scopes.includes(scope) || key.scopes.includes('admin');
}

export function requireScope(key: ApiKeyRecord, scope: ApiKeyScope): void {
  if (!hasScope(key, scope)) throw new HttpError(403, 'forbidden', `this API key lacks the ${scope} scope`);
}

/**
 * Locations a key may read or write: the key's list when it has one. A partner key without a list
 * sees none (deny by default: locations have no owner recorded anywhere else, so "the partner's
 * locations" can only mean the ones written on its key). A hub-wide key (partner null) without a
 * list sees all.
 */
export function canSeeLocation(key: ApiKeyRecord, location: string): boolean {
  if (key.locations) return key.locations.includes(location);
  return key.partner === null;
}

/** Whether the key is limited to listed locations; undefined = every location. */
export function visibleLocations(key: ApiKeyRecord): readonly string[] | undefined {
  if (key.locations) return key.locations;
  return key.partner === null ? undefined : [];
}

/**
 * Channels a key may see: the key's list when it has one; otherwise a partner key sees the
 * channels configured as that partner's, and a hub-wide key sees all.
 */
export function canSeeChannel(key: ApiKeyRecord, channel: { channel: string; partner?: string | null }): boolean {
  if (key.channels) return key.channels.includes(channel.channel);
  return key.partner === null || channel.partner === key.partner;
}

export function requireLocation(key: ApiKeyRecord, location: string): void {
  if (!canSeeLocation(key, location))
    throw new HttpError(403, 'forbidden', `this API key may not access location ${location}`);
}
