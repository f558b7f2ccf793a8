import { describe, expect, it } from 'vitest';
import { hashApiKey, type ApiKeyRecord } from '#shared/http/api-key.ts';
import { bearerKey, canSeeChannel, canSeeLocation, createAuthenticator, requireScope } from '#shared/http/auth.ts';
import { HttpError } from '#shared/http/errors.ts';
import { apiKey } from '../inventory/support.ts';

/** A key store in memory that counts lookups; revoking removes the key, as getApiKey then answers undefined. */
function memoryKeys(entries: Record<string, Partial<ApiKeyRecord>>) {
  const store = new Map(Object.entries(entries).map(([k, v]) => [k, apiKey({ keyHash: hashApiKey(k), ...v })]));
  const calls = { n: 0 };
  return { store, calls, lookup: async (k: string) => (calls.n++, store.get(k)) };
}

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    return (err as HttpError).statusCode;
  }
}

describe('authenticate', () => {
  it.each([
    ['no header', {}, 401],
    ['another scheme', { authorization: 'Basic abc' }, 401],
    ['an empty bearer', { authorization: 'Bearer ' }, 401],
    ['an unknown key', { authorization: 'Bearer hub_nope' }, 401],
    ['a known key', { authorization: 'Bearer hub_good' }, 200],
    ['a known key, header name and scheme in other cases', { Authorization: 'bearer hub_good' }, 200],
  ])('%s → %i', async (_name, headers, status) => {
    // Prepare
    const { lookup } = memoryKeys({ hub_good: {} });
    const authenticate = createAuthenticator(lookup, { now: () => 0 });
    // Act
    const outcome = await statusOf(authenticate(headers));
    // Assess
    expect(outcome).toBe(status);
  });

  it('answers 401 with the JSON error code and a WWW-Authenticate challenge', async () => {
    // Prepare
    const authenticate = createAuthenticator(async () => undefined, { now: () => 0 });
    // Act
    const err = (await authenticate({ authorization: 'Bearer x' }).catch((e: unknown) => e)) as HttpError;
    // Assess
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ statusCode: 401, code: 'unauthorized', headers: { 'www-authenticate': 'Bearer' } });
  });

  it('reuses a lookup while fresh and sees a revocation within a minute', async () => {
    // Prepare
    const { lookup, store, calls } = memoryKeys({ hub_good: {} });
    const clock = { ms: 0 };
    const authenticate = createAuthenticator(lookup, { maxAgeSeconds: 60, now: () => clock.ms });
    const headers = { authorization: 'Bearer hub_good' };
    await authenticate(headers);
    // Act
    store.delete('hub_good');
    clock.ms = 59_000;
    const stillCached = await statusOf(authenticate(headers));
    clock.ms = 60_001;
    const afterAMinute = await statusOf(authenticate(headers));
    // Assess
    expect(stillCached).toBe(200);
    expect(afterAMinute).toBe(401);
    expect(calls.n).toBe(2);
  });

  it('never caches longer than 60 s, whatever it is told', async () => {
    // Prepare
    const { lookup, store } = memoryKeys({ hub_good: {} });
    const clock = { ms: 0 };
    const authenticate = createAuthenticator(lookup, { maxAgeSeconds: 3600, now: () => clock.ms });
    await authenticate({ authorization: 'Bearer hub_good' });
    store.delete('hub_good');
    // Act
    clock.ms = 60_000;
    const outcome = await statusOf(authenticate({ authorization: 'Bearer hub_good' }));
    // Assess
    expect(outcome).toBe(401);
  });

  it('remembers an unknown key briefly, so a new key works within seconds', async () => {
    // Prepare
    const { lookup, store, calls } = memoryKeys({});
    const clock = { ms: 0 };
    const authenticate = createAuthenticator(lookup, { negativeMaxAgeSeconds: 5, now: () => clock.ms });
    const headers = { authorization: 'Bearer hub_new' };
    await statusOf(authenticate(headers));
    await statusOf(authenticate(headers));
    store.set('hub_new', apiKey());
    // Act
    clock.ms = 5_000;
    const outcome = await statusOf(authenticate(headers));
    // Assess
    expect(calls.n).toBe(2);
    expect(outcome).toBe(200);
  });

  it('does not remember a failed lookup', async () => {
    // Prepare
    let fail = true;
    const authenticate = createAuthenticator(
      async () => {
        if (fail) throw new Error('table unavailable');
        return apiKey();
      },
      { now: () => 0 },
    );
    const headers = { authorization: 'Bearer hub_good' };
    const first = await authenticate(headers).catch((e: unknown) => e);
    fail = false;
    // Act
    const second = await statusOf(authenticate(headers));
    // Assess
    expect((first as Error).message).toBe('table unavailable');
    expect(second).toBe(200);
  });

  it('reads the key from the bearer header only', () => {
    // Prepare / Act / Assess
    expect(bearerKey({ authorization: 'Bearer hub_abc-_1' })).toBe('hub_abc-_1');
    expect(bearerKey({ authorization: 'Bearer a b' })).toBeUndefined();
    expect(bearerKey(undefined)).toBeUndefined();
  });
});

describe('authorize', () => {
  it.each<[string, Partial<ApiKeyRecord>, 'stock:read' | 'stock:write', boolean]>([
    ['a read key reads', { scopes: ['stock:read'] }, 'stock:read', true],
    ['a read key cannot write', { scopes: ['stock:read'] }, 'stock:write', false],
    ['a kpi key cannot read stock', { scopes: ['kpi:read'] }, 'stock:read', false],
    ['admin holds every scope', { scopes: ['admin'] }, 'stock:write', true],
  ])('%s', (_name, over, scope, allowed) => {
    // Prepare
    const key = apiKey(over);
    // Act
    const outcome = (() => {
      try {
        requireScope(key, scope);
        return true;
      } catch (err) {
        return (err as HttpError).statusCode;
      }
    })();
    // Assess
    expect(outcome).toBe(allowed ? true : 403);
  });

  it('limits locations: the key list, deny-by-default for partners, all for hub-wide keys', () => {
    // Prepare
    const listed = apiKey({ partner: 'acme', locations: ['WH-P'] });
    const partnerNoList = apiKey({ partner: 'acme' });
    const hubWide = apiKey();
    // Act
    const outcomes = [
      canSeeLocation(listed, 'WH-P'),
      canSeeLocation(listed, 'WH-X'),
      canSeeLocation(partnerNoList, 'WH-P'),
      canSeeLocation(hubWide, 'WH-X'),
    ];
    // Assess
    expect(outcomes).toEqual([true, false, false, true]);
  });

  it("limits channels: the key list, else a partner's own channels, else all", () => {
    // Prepare
    const listed = apiKey({ partner: 'acme', channels: ['acme-shop'] });
    const partner = apiKey({ partner: 'acme' });
    const hubWide = apiKey();
    const acme = { channel: 'acme-web', partner: 'acme' };
    const other = { channel: 'shopify', partner: null };
    // Act
    const outcomes = [
      canSeeChannel(listed, { channel: 'acme-shop' }),
      canSeeChannel(listed, acme),
      canSeeChannel(partner, acme),
      canSeeChannel(partner, other),
      canSeeChannel(hubWide, other),
    ];
    // Assess
    expect(outcomes).toEqual([true, false, true, false, true]);
  });
});
