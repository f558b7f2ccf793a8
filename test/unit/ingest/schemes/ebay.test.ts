import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ebayChallengeResponse } from '#shared/ingest/schemes/ebay.ts';
import { verifySignature } from '#shared/ingest/schemes/registry.ts';
import type { VerifyInput } from '#shared/ingest/schemes/types.ts';
import { testConnection } from '#test/fixtures/ingest-ports.ts';
import { ebayKeyPair, signedRequest, staticEbayKeys } from '#test/fixtures/signing.ts';

const conn = testConnection('ebay');
const body = JSON.stringify({
  metadata: { topic: 'ORDER_CONFIRMATION' },
  notification: { notificationId: 'n-1', data: { orderId: '1' } },
});
const input = (headers: Record<string, string>, b: string = body): VerifyInput => ({
  connection: conn,
  headers,
  body: Buffer.from(b),
  url: '',
  now: new Date(),
});

describe('eBay ECDSA signature', () => {
  it.each(['SHA1', 'SHA256'] as const)('accepts a genuine notification signed with %s', async (digest) => {
    // Prepare
    const pair = ebayKeyPair();
    const keys = staticEbayKeys(pair);
    const req = signedRequest('ebay', conn, body, { ebay: { ...pair, digest } });
    // Act
    const result = await verifySignature(input(req.headers), keys);
    // Assess
    expect(result).toEqual({ ok: true });
    expect(keys.calls).toEqual([pair.kid]);
  });

  it('accepts a re-spaced body whose compact form was signed (the SDK verifies JSON.stringify(parsed))', async () => {
    // Prepare
    const pair = ebayKeyPair();
    const req = signedRequest('ebay', conn, body, { ebay: pair });
    const spaced = JSON.stringify(JSON.parse(body), null, 2);
    // Act
    const result = await verifySignature(input(req.headers, spaced), staticEbayKeys(pair));
    // Assess
    expect(result.ok).toBe(true);
  });

  it('rejects a tampered body, a key eBay does not know, another key and a missing header', async () => {
    // Prepare
    const pair = ebayKeyPair();
    const impostor = ebayKeyPair(pair.kid);
    const keys = staticEbayKeys(pair);
    const req = signedRequest('ebay', conn, body, { ebay: pair });
    const unknownKid = signedRequest('ebay', conn, body, { ebay: ebayKeyPair('kid-unknown') });
    const forged = signedRequest('ebay', conn, body, { ebay: impostor });
    // Act
    const tampered = await verifySignature(input(req.headers, body.replace('n-1', 'n-2')), keys);
    const unknown = await verifySignature(input(unknownKid.headers), keys);
    const wrongKey = await verifySignature(input(forged.headers), keys);
    const missing = await verifySignature(input({}), keys);
    const garbage = await verifySignature(input({ 'x-ebay-signature': 'not base64 json' }), keys);
    // Assess
    expect(tampered).toMatchObject({ ok: false, code: 'invalid_signature' });
    expect(unknown).toMatchObject({ ok: false, code: 'unknown_key' });
    expect(wrongKey).toMatchObject({ ok: false, code: 'invalid_signature' });
    expect(missing).toMatchObject({ ok: false, code: 'missing_signature' });
    expect(garbage).toMatchObject({ ok: false, code: 'missing_signature' });
  });

  it('rejects an algorithm other than ECDSA', async () => {
    // Prepare
    const pair = ebayKeyPair();
    const req = signedRequest('ebay', conn, body, { ebay: pair });
    const header = JSON.parse(Buffer.from(req.headers['x-ebay-signature']!, 'base64').toString());
    const hmacClaim = Buffer.from(JSON.stringify({ ...header, alg: 'hmac' })).toString('base64');
    // Act
    const result = await verifySignature(input({ 'x-ebay-signature': hmacClaim }), staticEbayKeys(pair));
    // Assess
    expect(result).toMatchObject({ ok: false, code: 'invalid_signature' });
  });

  it.each([
    ['an algorithm other than ECDSA', { alg: 'hmac' }],
    ['a digest eBay does not use', { digest: 'MD5' }],
    ['a kid that is a path', { kid: '../../identity/v1/oauth2/token' }],
    ["a kid far longer than eBay's", { kid: 'k'.repeat(200) }],
    ['a signature that is not base64', { signature: 'not base64!' }],
  ])('refuses a header with %s before looking any key up', async (_name, change) => {
    // Prepare
    const pair = ebayKeyPair();
    const keys = staticEbayKeys(pair);
    const req = signedRequest('ebay', conn, body, { ebay: pair });
    const header = JSON.parse(Buffer.from(req.headers['x-ebay-signature']!, 'base64').toString());
    const claim = Buffer.from(JSON.stringify({ ...header, ...change })).toString('base64');
    // Act
    const result = await verifySignature(input({ 'x-ebay-signature': claim }), keys);
    // Assess
    expect(result.ok).toBe(false);
    expect(keys.calls).toEqual([]);
  });
});

describe('eBay challenge', () => {
  it('is hex(sha256(challengeCode + verificationToken + endpoint))', () => {
    // Prepare
    const expected = createHash('sha256').update('abc123tokenhttps://hub.example.com/webhooks/e').digest('hex');
    // Act
    const response = ebayChallengeResponse('abc123', 'token', 'https://hub.example.com/webhooks/e');
    // Assess
    expect(response).toBe(expected);
    expect(response).toMatch(/^[0-9a-f]{64}$/);
  });
});
