import { describe, expect, it } from 'vitest';
import { verifyStandardWebhooks } from '#shared/ingest/schemes/standard-webhooks.ts';
import type { VerifyInput } from '#shared/ingest/schemes/types.ts';
import { testConnection } from '#test/fixtures/ingest-ports.ts';
import { ed25519KeyPair, signedRequest } from '#test/fixtures/signing.ts';

const body = '{"type":"order.created","data":{"id":"o-1"}}';
const now = new Date('2026-05-01T10:00:00Z');
const input = (conn: VerifyInput['connection'], headers: Record<string, string>, b = body, at = now): VerifyInput => ({
  connection: conn,
  headers,
  body: Buffer.from(b),
  url: '',
  now: at,
});

describe('Standard Webhooks', () => {
  it('verifies the public v1 vector of the reference libraries (clock fixed at its timestamp)', () => {
    // Prepare
    const conn = testConnection('standard-webhooks', { secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] });
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    // Act
    const result = verifyStandardWebhooks(input(conn, headers, '{"test": 2432232314}', new Date(1614265330 * 1000)));
    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('rejects the same vector with its real (old) timestamp under the current clock', () => {
    // Prepare
    const conn = testConnection('standard-webhooks', { secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] });
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    // Act
    const result = verifyStandardWebhooks(input(conn, headers, '{"test": 2432232314}', now));
    // Assess
    expect(result).toMatchObject({ ok: false, code: 'stale_timestamp' });
  });

  it('accepts timestamps up to 5 minutes off in either direction, and rejects beyond', () => {
    // Prepare
    const conn = testConnection('standard-webhooks');
    const at = (offsetSeconds: number) =>
      signedRequest('standard-webhooks', conn, body, { now: new Date(now.getTime() + offsetSeconds * 1000) });
    // Act
    const results = [-300, 300, -301, 301].map((o) => verifyStandardWebhooks(input(conn, at(o).headers)));
    // Assess
    expect(results.map((r) => r.ok)).toEqual([true, true, false, false]);
    expect(results[2]).toMatchObject({ code: 'stale_timestamp' });
    expect(results[3]).toMatchObject({ code: 'stale_timestamp' });
  });

  it('accepts any one of several space-separated signatures (rotation on the sender side)', () => {
    // Prepare
    const conn = testConnection('standard-webhooks');
    const other = testConnection('standard-webhooks', { secrets: [`whsec_${Buffer.alloc(32, 7).toString('base64')}`] });
    const good = signedRequest('standard-webhooks', conn, body, { now, id: 'msg_1' }).headers;
    const bad = signedRequest('standard-webhooks', other, body, { now, id: 'msg_1' }).headers;
    const headers = { ...good, 'webhook-signature': `${bad['webhook-signature']} v2,abc ${good['webhook-signature']}` };
    // Act
    const result = verifyStandardWebhooks(input(conn, headers));
    // Assess
    expect(result.ok).toBe(true);
  });

  it('accepts either of two active secrets on our side', () => {
    // Prepare
    const conn = testConnection('standard-webhooks', {
      secrets: [`whsec_${Buffer.alloc(32, 1).toString('base64')}`, `whsec_${Buffer.alloc(32, 2).toString('base64')}`],
    });
    const req = signedRequest('standard-webhooks', conn, body, { now, secretIndex: 1 });
    // Act / Assess
    expect(verifyStandardWebhooks(input(conn, req.headers)).ok).toBe(true);
  });

  it('accepts the svix-* header names', () => {
    // Prepare
    const conn = testConnection('standard-webhooks');
    const req = signedRequest('standard-webhooks', conn, body, { now, svix: true });
    // Act
    const result = verifyStandardWebhooks(input(conn, req.headers));
    // Assess
    expect(req.headers['svix-signature']).toBeDefined();
    expect(result.ok).toBe(true);
  });

  it('rejects a tampered body, a tampered id, a wrong secret and missing headers', () => {
    // Prepare
    const conn = testConnection('standard-webhooks');
    const wrong = testConnection('standard-webhooks', { secrets: [`whsec_${Buffer.alloc(32, 9).toString('base64')}`] });
    const req = signedRequest('standard-webhooks', conn, body, { now });
    const { 'webhook-signature': _s, ...noSignature } = req.headers;
    // Act
    const tampered = verifyStandardWebhooks(input(conn, req.headers, body.replace('o-1', 'o-2')));
    const otherId = verifyStandardWebhooks(input(conn, { ...req.headers, 'webhook-id': 'msg_other' }));
    const wrongSecret = verifyStandardWebhooks(input(wrong, req.headers));
    const missing = verifyStandardWebhooks(input(conn, noSignature));
    // Assess
    expect(tampered).toMatchObject({ ok: false, code: 'invalid_signature' });
    expect(otherId).toMatchObject({ ok: false, code: 'invalid_signature' });
    expect(wrongSecret).toMatchObject({ ok: false, code: 'invalid_signature' });
    expect(missing).toMatchObject({ ok: false, code: 'missing_signature' });
  });

  it('verifies v1a ed25519 signatures with a whpk_ public key', () => {
    // Prepare
    const pair = ed25519KeyPair();
    const stranger = ed25519KeyPair();
    const conn = testConnection('standard-webhooks', { secrets: [pair.publicKey] });
    const good = signedRequest('standard-webhooks', conn, body, {
      now,
      version: 'v1a',
      ed25519PrivateKey: pair.privateKey,
    });
    const forged = signedRequest('standard-webhooks', conn, body, {
      now,
      version: 'v1a',
      ed25519PrivateKey: stranger.privateKey,
    });
    // Act
    const accepted = verifyStandardWebhooks(input(conn, good.headers));
    const tampered = verifyStandardWebhooks(input(conn, good.headers, `${body} `));
    const rejected = verifyStandardWebhooks(input(conn, forged.headers));
    // Assess
    expect(good.headers['webhook-signature']).toMatch(/^v1a,/);
    expect(accepted.ok).toBe(true);
    expect(tampered).toMatchObject({ ok: false, code: 'invalid_signature' });
    expect(rejected).toMatchObject({ ok: false, code: 'invalid_signature' });
  });

  it('does not accept a v1 HMAC keyed with the text of a whpk_ public key', () => {
    // Prepare: an attacker who knows the public key tries it as an HMAC secret
    const pair = ed25519KeyPair();
    const conn = testConnection('standard-webhooks', { secrets: [pair.publicKey] });
    const asHmac = testConnection('standard-webhooks', { secrets: [`whsec_${pair.publicKey.slice(5)}`] });
    const req = signedRequest('standard-webhooks', asHmac, body, { now });
    // Act
    const result = verifyStandardWebhooks(input(conn, req.headers));
    // Assess
    expect(result.ok).toBe(false);
  });

  it('rejects a timestamp that is not Unix seconds', () => {
    // Prepare
    const conn = testConnection('standard-webhooks');
    const req = signedRequest('standard-webhooks', conn, body, { now });
    // Act
    const result = verifyStandardWebhooks(input(conn, { ...req.headers, 'webhook-timestamp': '2026-05-01T10:00:00Z' }));
    // Assess
    expect(result).toMatchObject({ ok: false, code: 'stale_timestamp' });
  });
});
