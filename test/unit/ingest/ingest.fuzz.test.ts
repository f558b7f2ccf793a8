import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ingest } from '#shared/ingest/ingest.ts';
import { memoryDeps, testConnection } from '#test/fixtures/ingest-ports.ts';
import { ebayKeyPair, signedRequest, staticEbayKeys } from '#test/fixtures/signing.ts';

const DOCUMENTED = new Set([200, 202, 400, 401, 404, 405, 413, 503]);
const ebay = ebayKeyPair();
const connections = [
  testConnection('shopify'),
  testConnection('woocommerce'),
  testConnection('square'),
  testConnection('standard-webhooks'),
  testConnection('walmart'),
  testConnection('walmart', { id: 'walmart-basic', walmartAuth: 'basic', secrets: ['u:p'] }),
  testConnection('bigcommerce'),
  testConnection('ebay'),
];
const headerNames = [
  'x-shopify-hmac-sha256',
  'x-wc-webhook-signature',
  'x-square-hmacsha256-signature',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'svix-signature',
  'authorization',
  'x-hub-secret',
  'x-ebay-signature',
  'content-type',
];

describe('ingest under random input', () => {
  it('always answers a documented status with a JSON error body, never throws', async () => {
    // Prepare
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'post', ''),
      connectionId: fc.option(fc.oneof(fc.constantFrom(...connections.map((c) => c.id)), fc.string()), {
        nil: undefined,
      }),
      headers: fc.dictionary(
        fc.oneof(fc.constantFrom(...headerNames), fc.string()),
        fc.oneof(fc.string(), fc.base64String(), fc.constantFrom('v1,abc', 'v1a,abc', 'webhook_id=1')),
      ),
      query: fc.dictionary(fc.constantFrom('challenge_code', 'x'), fc.string()),
      body: fc.oneof(
        fc.uint8Array({ maxLength: 512 }),
        fc.string().map((s) => new TextEncoder().encode(s)),
        fc.constant(new TextEncoder().encode('webhook_id=5')),
      ),
      url: fc.oneof(fc.webUrl(), fc.string()),
    });
    const seen = new Set<number>();
    // Act / Assess
    await fc.assert(
      fc.asyncProperty(request, fc.boolean(), async (r, signIt) => {
        const deps = memoryDeps({ connections, ebayKeys: staticEbayKeys(ebay) });
        const body = Buffer.from(r.body);
        let headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v]));
        const conn = connections.find((c) => c.id === r.connectionId);
        // half of the runs carry a genuine signature, so the accepting path is fuzzed too
        if (signIt && conn) headers = { ...headers, ...signedRequest(conn.source, conn, body, { ebay }).headers };
        const res = await ingest({ ...r, headers, body }, deps);
        seen.add(res.statusCode);
        expect(DOCUMENTED.has(res.statusCode)).toBe(true);
        const parsed = JSON.parse(res.body);
        if (res.statusCode >= 400) expect(typeof parsed.error.code).toBe('string');
        if (res.statusCode !== 202) expect(deps.queue.sent).toHaveLength(0);
        else expect(deps.queue.sent).toHaveLength(1);
      }),
      { numRuns: 400 },
    );
    // the run reached both the accepting and the rejecting paths
    expect(seen.has(202) && seen.has(401) && seen.has(404)).toBe(true);
  });
});
