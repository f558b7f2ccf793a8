import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EbayApiError, ebayPublicKeyFetcher, isEbayKid } from '#shared/ingest/ebay-keys.ts';

/** A stand-in for api.ebay.com on loopback: token endpoint plus public_key/{kid}. */
const requests: { url: string; auth: string | undefined }[] = [];
const server = createServer((req: IncomingMessage, res) => {
  requests.push({ url: req.url ?? '', auth: req.headers.authorization });
  res.setHeader('content-type', 'application/json');
  if (req.url === '/identity/v1/oauth2/token' && req.method === 'POST') {
    res.end(JSON.stringify({ access_token: 'app-token', expires_in: 7200, token_type: 'Application Access Token' }));
  } else if (req.url === '/commerce/notification/v1/public_key/kid-1') {
    res.end(
      JSON.stringify({
        key: '-----BEGIN PUBLIC KEY-----MFkw-----END PUBLIC KEY-----',
        algorithm: 'ECDSA',
        digest: 'SHA1',
      }),
    );
  } else if (req.url === '/commerce/notification/v1/public_key/kid-down') {
    res.statusCode = 500;
    res.end('{}');
  } else if (req.url === '/commerce/notification/v1/public_key/kid-throttled') {
    res.statusCode = 429;
    res.setHeader('retry-after', '30');
    res.end(JSON.stringify({ errors: [{ errorId: 2001 }] }));
  } else {
    res.statusCode = 404;
    res.end(JSON.stringify({ errors: [{ errorId: 195000 }] }));
  }
});
let base: string;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const credentials = async () => ({ clientId: 'id', clientSecret: 'secret' });
const keyRequests = () => requests.map((r) => r.url).filter((u) => u.startsWith('/commerce/'));

describe('eBay public key fetcher', () => {
  it('gets an app token, fetches the key by kid and caches both', async () => {
    // Prepare
    requests.length = 0;
    const keys = ebayPublicKeyFetcher({
      apiBase: base,
      credentials: async () => ({ clientId: 'id', clientSecret: 'secret' }),
      now: () => 0,
    });
    // Act
    const [a, b] = await Promise.all([keys.get('kid-1'), keys.get('kid-1')]);
    const c = await keys.get('kid-1');
    // Assess
    expect(a).toEqual({
      key: '-----BEGIN PUBLIC KEY-----MFkw-----END PUBLIC KEY-----',
      algorithm: 'ECDSA',
      digest: 'SHA1',
    });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(requests.map((r) => r.url)).toEqual([
      '/identity/v1/oauth2/token',
      '/commerce/notification/v1/public_key/kid-1',
    ]);
    expect(requests[0]!.auth).toBe(`Basic ${Buffer.from('id:secret').toString('base64')}`);
    expect(requests[1]!.auth).toBe('Bearer app-token');
  });

  it('answers undefined for a kid eBay does not know and throws when eBay fails', async () => {
    // Prepare
    const keys = ebayPublicKeyFetcher({
      apiBase: base,
      credentials: async () => ({ clientId: 'id', clientSecret: 'secret' }),
      now: () => 0,
    });
    // Act
    const unknown = await keys.get('kid-unknown');
    const down = keys.get('kid-down');
    // Assess
    expect(unknown).toBeUndefined();
    await expect(down).rejects.toThrow(/500/);
  });

  it("never calls eBay for a kid that is not of eBay's form", async () => {
    // Prepare
    requests.length = 0;
    const keys = ebayPublicKeyFetcher({ apiBase: base, credentials, now: () => 0 });
    const malformed = ['../../identity/v1/oauth2/token', 'a'.repeat(200), 'kid with spaces', '', 'kid%2F..', 'ключ'];
    // Act
    const answers = await Promise.all(malformed.map((kid) => keys.get(kid)));
    // Assess
    expect(answers).toEqual(malformed.map(() => undefined));
    expect(requests).toEqual([]);
    expect(isEbayKid('9936261a-7d7b-4621-a0f1-96ccb428af49')).toBe(true);
  });

  it('remembers for a short while that eBay does not know a kid', async () => {
    // Prepare
    requests.length = 0;
    let now = 0;
    const keys = ebayPublicKeyFetcher({ apiBase: base, credentials, now: () => now, missTtlSeconds: 60 });
    // Act
    const first = await keys.get('kid-unknown');
    now = 59_000;
    const again = await keys.get('kid-unknown');
    const callsWithinTtl = keyRequests().length;
    now = 61_000;
    await keys.get('kid-unknown');
    // Assess
    expect(first).toBeUndefined();
    expect(again).toBeUndefined();
    expect(callsWithinTtl).toBe(1);
    expect(keyRequests()).toEqual([
      '/commerce/notification/v1/public_key/kid-unknown',
      '/commerce/notification/v1/public_key/kid-unknown',
    ]);
  });

  it('looks up at most N new kids a minute, and keeps serving the keys it has', async () => {
    // Prepare
    requests.length = 0;
    let now = 0;
    const keys = ebayPublicKeyFetcher({ apiBase: base, credentials, now: () => now, maxLookupsPerMinute: 3 });
    await keys.get('kid-1');
    await keys.get('random-a');
    await keys.get('random-b');
    // Act
    const overBudget = await keys.get('random-c').catch((e: unknown) => e);
    const cached = await keys.get('kid-1');
    const callsInMinute = keyRequests().length;
    now = 60_001;
    const nextMinute = await keys.get('random-c');
    // Assess
    expect(overBudget).toBeInstanceOf(EbayApiError);
    expect((overBudget as Error).message).toMatch(/lookups/);
    expect(cached?.algorithm).toBe('ECDSA');
    expect(callsInMinute).toBe(3);
    expect(nextMinute).toBeUndefined();
    expect(keyRequests().at(-1)).toBe('/commerce/notification/v1/public_key/random-c');
  });

  it("waits out eBay's Retry-After after a 429 before calling again, serving cached keys meanwhile", async () => {
    // Prepare
    requests.length = 0;
    let now = 0;
    const keys = ebayPublicKeyFetcher({ apiBase: base, credentials, now: () => now });
    await keys.get('kid-1');
    // Act
    const throttled = await keys.get('kid-throttled').catch((e: unknown) => e);
    now = 29_000;
    const during = await keys.get('kid-unknown').catch((e: unknown) => e);
    const cached = await keys.get('kid-1');
    const callsDuring = keyRequests().length;
    now = 31_000;
    const after = await keys.get('kid-unknown');
    // Assess
    expect((throttled as Error).message).toMatch(/429/);
    expect(during).toBeInstanceOf(EbayApiError);
    expect(cached?.algorithm).toBe('ECDSA');
    expect(callsDuring).toBe(2);
    expect(after).toBeUndefined();
    expect(keyRequests()).toHaveLength(3);
  });
});
