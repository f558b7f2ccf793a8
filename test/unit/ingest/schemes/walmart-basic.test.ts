import { describe, expect, it } from 'vitest';
import { SCHEMES } from '#shared/ingest/schemes/registry.ts';
import type { VerifyInput } from '#shared/ingest/schemes/types.ts';
import { testConnection } from '#test/fixtures/ingest-ports.ts';
import { signedRequest } from '#test/fixtures/signing.ts';

const conn = testConnection('walmart', { walmartAuth: 'basic', secrets: ['hub:old-pass', 'hub:new-pass'] });
const body = '{"source":{"eventType":"PO_CREATED","eventId":"e1"},"payload":{}}';
const verify = SCHEMES.walmart!;
const input = (headers: Record<string, string>): VerifyInput => ({
  connection: conn,
  headers,
  body: Buffer.from(body),
  url: '',
  now: new Date(),
});

describe('Walmart basic auth', () => {
  it('accepts the configured credential with or without the Basic scheme word', () => {
    // Prepare
    const b64 = Buffer.from('hub:old-pass').toString('base64');
    // Act
    const results = [`Basic ${b64}`, `basic ${b64}`, b64].map((v) => verify(input({ authorization: v })));
    // Assess
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
  });

  it('accepts either credential during a rotation', () => {
    // Prepare
    const req = signedRequest('walmart', conn, body, { secretIndex: 1 });
    // Act / Assess
    expect(verify(input(req.headers)).ok).toBe(true);
  });

  it('rejects a wrong credential and a missing header', () => {
    // Prepare
    const wrong = `Basic ${Buffer.from('hub:guess').toString('base64')}`;
    // Act
    const bad = verify(input({ authorization: wrong }));
    const missing = verify(input({}));
    // Assess
    expect(bad).toMatchObject({ ok: false, code: 'invalid_signature' });
    expect(missing).toMatchObject({ ok: false, code: 'missing_signature' });
  });

  it('uses the configured header name', () => {
    // Prepare
    const custom = testConnection('walmart', {
      walmartAuth: 'basic',
      secrets: ['u:p'],
      authHeaderName: 'X-Walmart-Auth',
    });
    const req = signedRequest('walmart', custom, body);
    // Act
    const result = verify({ ...input(req.headers), connection: custom });
    // Assess
    expect(req.headers['x-walmart-auth']).toBeDefined();
    expect(result.ok).toBe(true);
  });
});
