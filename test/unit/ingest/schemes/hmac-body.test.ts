import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Source } from '#shared/domain/connection.ts';
import { verifyShopify, verifyWalmartHmac, verifyWooCommerce } from '#shared/ingest/schemes/hmac-body.ts';
import type { VerifyInput, VerifyResult } from '#shared/ingest/schemes/types.ts';
import { testConnection } from '#test/fixtures/ingest-ports.ts';
import { signedRequest } from '#test/fixtures/signing.ts';

const body = '{"id":820982911946154500,"total_price":"19.80","line_items":[{"sku":"SKU-1","quantity":2}]}';

const cases: [string, Source, (i: VerifyInput) => VerifyResult, string][] = [
  ['shopify', 'shopify', verifyShopify, 'x-shopify-hmac-sha256'],
  ['woocommerce', 'woocommerce', verifyWooCommerce, 'x-wc-webhook-signature'],
  ['walmart (hmac)', 'walmart', verifyWalmartHmac, 'authorization'],
];

describe.each(cases)('HMAC over the body: %s', (_name, source, verify, header) => {
  const conn = testConnection(source, { secrets: ['first-secret', 'second-secret'] });
  const input = (headers: Record<string, string>, b: string | Buffer = body): VerifyInput => ({
    connection: conn,
    headers,
    body: Buffer.from(b),
    url: 'https://hub.example.com/webhooks/x',
    now: new Date(),
  });

  it('accepts a genuine delivery', () => {
    // Prepare
    const req = signedRequest(source, conn, body);
    // Act
    const result = verify(input(req.headers));
    // Assess
    expect(result).toEqual({ ok: true });
  });

  it('accepts a delivery signed with either of two active secrets (rotation)', () => {
    // Prepare
    const second = signedRequest(source, conn, body, { secretIndex: 1 });
    // Act
    const result = verify(input(second.headers));
    // Assess
    expect(result.ok).toBe(true);
  });

  it('rejects a tampered body', () => {
    // Prepare
    const req = signedRequest(source, conn, body);
    // Act
    const result = verify(input(req.headers, body.replace('19.80', '0.01')));
    // Assess
    expect(result).toMatchObject({ ok: false, code: 'invalid_signature' });
  });

  it('rejects a signature made with another secret', () => {
    // Prepare
    const other = testConnection(source, { secrets: ['not-our-secret'] });
    const req = signedRequest(source, other, body);
    // Act
    const result = verify(input(req.headers));
    // Assess
    expect(result).toMatchObject({ ok: false, code: 'invalid_signature' });
  });

  it('rejects a delivery without the signature header', () => {
    // Prepare
    const { [header]: _dropped, ...headers } = signedRequest(source, conn, body).headers;
    // Act
    const result = verify(input(headers));
    // Assess
    expect(result).toMatchObject({ ok: false, code: 'missing_signature' });
  });

  it('rejects a signature of a different length without throwing', () => {
    // Act
    const result = verify(input({ [header]: 'abc' }));
    // Assess
    expect(result).toMatchObject({ ok: false, code: 'invalid_signature' });
  });
});

describe('Walmart HMAC encodings', () => {
  it('accepts hex (any case) and base64, since Walmart does not say which it sends', () => {
    // Prepare
    const conn = testConnection('walmart', { secrets: ['client-secret'], authHeaderName: 'WM_SEC.AUTH_SIGNATURE' });
    const mac = createHmac('sha256', 'client-secret').update(body).digest();
    const at = (v: string): VerifyInput => ({
      connection: conn,
      headers: { 'wm_sec.auth_signature': v },
      body: Buffer.from(body),
      url: '',
      now: new Date(),
    });
    // Act
    const results = [mac.toString('hex'), mac.toString('hex').toUpperCase(), mac.toString('base64')].map((v) =>
      verifyWalmartHmac(at(v)),
    );
    // Assess
    expect(results.every((r) => r.ok)).toBe(true);
    expect(verifyWalmartHmac(at(mac.toString('base64url').slice(0, 40))).ok).toBe(false);
  });
});
