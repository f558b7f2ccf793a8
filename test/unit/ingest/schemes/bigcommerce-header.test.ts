import { describe, expect, it } from 'vitest';
import { verifyBigCommerce } from '#shared/ingest/schemes/bigcommerce-header.ts';
import type { VerifyInput } from '#shared/ingest/schemes/types.ts';
import { testConnection } from '#test/fixtures/ingest-ports.ts';
import { signedRequest } from '#test/fixtures/signing.ts';

const conn = testConnection('bigcommerce', { secrets: ['token-1', 'token-2'], authHeaderName: 'X-Hub-Token' });
const body = '{"scope":"store/order/created","data":{"type":"order","id":250},"hash":"abc"}';
const input = (headers: Record<string, string>): VerifyInput => ({
  connection: conn,
  headers,
  body: Buffer.from(body),
  url: '',
  now: new Date(),
});

describe('BigCommerce custom header', () => {
  it('accepts the configured header carrying an active secret, either during a rotation', () => {
    // Prepare
    const first = signedRequest('bigcommerce', conn, body);
    const second = signedRequest('bigcommerce', conn, body, { secretIndex: 1 });
    // Act / Assess
    expect(verifyBigCommerce(input(first.headers)).ok).toBe(true);
    expect(verifyBigCommerce(input(second.headers)).ok).toBe(true);
  });

  it('rejects a wrong value, a missing header and the secret in another header', () => {
    // Act
    const wrong = verifyBigCommerce(input({ 'x-hub-token': 'token-3' }));
    const missing = verifyBigCommerce(input({}));
    const elsewhere = verifyBigCommerce(input({ authorization: 'token-1' }));
    // Assess
    expect(wrong).toMatchObject({ ok: false, code: 'invalid_signature' });
    expect(missing).toMatchObject({ ok: false, code: 'missing_signature' });
    expect(elsewhere).toMatchObject({ ok: false, code: 'missing_signature' });
  });
});
