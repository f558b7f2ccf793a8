import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ebayPublicKeyFetcher } from '#shared/ingest/ebay-keys.ts';

/** A stand-in for api.ebay.com on loopback: token endpoint plus public_key/{kid}. */
const requests: { url: string; auth: string | undefined }[] = [];
const server = createServer((req: IncomingMessage, res) => {
  requests.push({ url: req.url ?? '', auth: req.headers.authorization });
  res.setHeader('content-type', 'application/json');
  if (req.url === '/identity/v1/oauth2/token' && req.method === 'POST') {
    res.end(JSON.stringify({ access_token: 'app-token', expires_in: 7200, token_type: 'Application Access Token' }));
  } else if (req.url === '/commerce/notification/v1/public_key/kid-1') {
    res.end(JSON.stringify({ key: '-----BEGIN PUBLIC KEY-----MFkw-----END PUBLIC KEY-----', algorithm: 'ECDSA', digest: 'SHA1' }));
  } else if (req.url === '/commerce/notification/v1/public_key/kid-down') {
    res.statusCode = 500;
    res.end('{}');
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

describe('eBay public key fetcher', () => {
  it('gets an app token, fetches the key by kid and caches both', async () => {
    // Prepare
    requests.length = 0;
    const keys = ebayPublicKeyFetcher({ apiBase: base, credentials: async () => ({ clientId: 'id', clientSecret: 'secret' }), now: () => 0 });
    // Act
    const [a, b] = await Promise.all([keys.get('kid-1'), keys.get('kid-1')]);
    const c = await keys.get('kid-1');
    // Assess
    expect(a).toEqual({ key: '-----BEGIN PUBLIC KEY-----MFkw-----END PUBLIC KEY-----', algorithm: 'ECDSA', digest: 'SHA1' });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(requests.map((r) => r.url)).toEqual(['/identity/v1/oauth2/token', '/commerce/notification/v1/public_key/kid-1']);
    expect(requests[0]!.auth).toBe(`Basic ${Buffer.from('id:secret').toString('base64')}`);
    expect(requests[1]!.auth).toBe('Bearer app-token');
  });

  it('answers undefined for a kid eBay does not know and throws when eBay fails', async () => {
    // Prepare
    const keys = ebayPublicKeyFetcher({ apiBase: base, credentials: async () => ({ clientId: 'id', clientSecret: 'secret' }), now: () => 0 });
    // Act
    const unknown = await keys.get('kid-unknown');
    const down = keys.get('kid-down');
    // Assess
    expect(unknown).toBeUndefined();
    await expect(down).rejects.toThrow(/500/);
  });
});
