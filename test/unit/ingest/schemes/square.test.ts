import { describe, expect, it } from 'vitest';
import { verifySquare } from '#shared/ingest/schemes/square.ts';
import type { VerifyInput } from '#shared/ingest/schemes/types.ts';
import { testConnection } from '#test/fixtures/ingest-ports.ts';
import { signedRequest } from '#test/fixtures/signing.ts';

const body =
  '{"merchant_id":"M1","type":"inventory.count.updated","event_id":"e-1","data":{"object":{"inventory_counts":[{"quantity":"3"}]}}}';
const conn = testConnection('square', {
  secrets: ['key-a', 'key-b'],
  notificationUrl: 'https://hub.example.com/webhooks/sq',
});
const input = (headers: Record<string, string>, b = body, url = 'https://other.example/x'): VerifyInput => ({
  connection: conn,
  headers,
  body: Buffer.from(b),
  url,
  now: new Date(),
});

describe('Square signature (notification URL + body)', () => {
  it('accepts a genuine delivery signed over the configured notification URL', () => {
    // Prepare
    const req = signedRequest('square', conn, body);
    // Act
    const result = verifySquare(input(req.headers));
    // Assess
    expect(result.ok).toBe(true);
  });

  it('accepts the second active key during a rotation', () => {
    // Prepare
    const req = signedRequest('square', conn, body, { secretIndex: 1 });
    // Act / Assess
    expect(verifySquare(input(req.headers)).ok).toBe(true);
  });

  it('rejects a signature over another URL (a trailing slash is enough)', () => {
    // Prepare
    const req = signedRequest('square', conn, body, { url: 'https://hub.example.com/webhooks/sq/' });
    // Act
    const result = verifySquare(input(req.headers));
    // Assess
    expect(result).toMatchObject({ ok: false, code: 'invalid_signature' });
  });

  it('falls back to the URL called when the connection has no notification URL', () => {
    // Prepare
    const bare = testConnection('square', { secrets: ['key-a'] });
    const { notificationUrl: _n, ...noUrl } = bare;
    const url = 'https://hub.example.com/webhooks/square-test';
    const req = signedRequest('square', noUrl, body, { url });
    // Act
    const result = verifySquare({ ...input(req.headers, body, url), connection: noUrl });
    // Assess
    expect(result.ok).toBe(true);
  });

  it('rejects a tampered body, a wrong key and a missing header', () => {
    // Prepare
    const req = signedRequest('square', conn, body);
    const wrong = signedRequest(
      'square',
      testConnection('square', { secrets: ['other'], notificationUrl: conn.notificationUrl }),
      body,
    );
    // Act
    const tampered = verifySquare(input(req.headers, body.replace('"3"', '"30"')));
    const wrongKey = verifySquare(input(wrong.headers));
    const missing = verifySquare(input({}));
    // Assess
    expect(tampered).toMatchObject({ ok: false, code: 'invalid_signature' });
    expect(wrongKey).toMatchObject({ ok: false, code: 'invalid_signature' });
    expect(missing).toMatchObject({ ok: false, code: 'missing_signature' });
  });
});
