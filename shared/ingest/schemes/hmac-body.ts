import { fail, hmacSha256, matchesAny, ok, type VerifyInput, type VerifyResult } from '#shared/ingest/schemes/types.ts';

/**
 * HMAC-SHA256 of the raw body, keyed with a secret, carried in one header.
 *  - Shopify: `X-Shopify-Hmac-Sha256`, base64 (shopify-app-js lib/utils/hmac-validator.ts); the
 *    newer "events" webhooks drop the `x-` prefix.
 *  - WooCommerce: `X-WC-Webhook-Signature`, base64 over the exact body sent
 *    (class-wc-webhook.php `generate_signature`).
 *  - Walmart (authMethod HMAC): the header named `authHeaderName`; Walmart does not say which
 *    encoding, so hex and base64 are both accepted.
 * During a rotation the connection holds two secrets and either may have signed.
 */
export function verifyHmacBody(
  input: VerifyInput,
  opts: { headerNames: string[]; encodings: ('base64' | 'hex')[] },
): VerifyResult {
  const name = opts.headerNames.find((n) => input.headers[n] !== undefined);
  const presented = name === undefined ? undefined : input.headers[name]!.trim();
  if (!presented) return fail('missing_signature', `missing ${opts.headerNames[0]} header`);
  const candidates: string[] = [];
  for (const secret of input.connection.secrets) {
    const mac = hmacSha256(secret, input.body);
    for (const enc of opts.encodings) candidates.push(mac.toString(enc));
  }
  // hex may arrive upper-cased; base64 is case-sensitive and compared as sent
  const forms =
    opts.encodings.includes('hex') && /^[0-9a-fA-F]{64}$/.test(presented) ? presented.toLowerCase() : presented;
  return matchesAny(forms, candidates) ? ok : fail('invalid_signature', `${name} does not match the body`);
}

export const verifyShopify = (input: VerifyInput): VerifyResult =>
  verifyHmacBody(input, { headerNames: ['x-shopify-hmac-sha256', 'shopify-hmac-sha256'], encodings: ['base64'] });

export const verifyWooCommerce = (input: VerifyInput): VerifyResult =>
  verifyHmacBody(input, { headerNames: ['x-wc-webhook-signature'], encodings: ['base64'] });

/** Walmart's auth header defaults to `Authorization` (create-subscription `authHeaderName`). */
export const walmartHeaderName = (input: VerifyInput): string =>
  (input.connection.authHeaderName ?? 'authorization').toLowerCase();

export const verifyWalmartHmac = (input: VerifyInput): VerifyResult =>
  verifyHmacBody(input, { headerNames: [walmartHeaderName(input)], encodings: ['hex', 'base64'] });
