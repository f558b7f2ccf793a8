import type { Source } from '#shared/domain/connection.ts';
import type { EbayKeyFetcher } from '#shared/ingest/ports.ts';
import { verifyBigCommerce } from '#shared/ingest/schemes/bigcommerce-header.ts';
import { ebayHeaderProblem, parseEbaySignature, verifyEbay } from '#shared/ingest/schemes/ebay.ts';
import { verifyShopify, verifyWalmartHmac, verifyWooCommerce } from '#shared/ingest/schemes/hmac-body.ts';
import { verifySquare } from '#shared/ingest/schemes/square.ts';
import { verifyStandardWebhooks } from '#shared/ingest/schemes/standard-webhooks.ts';
import { fail, type VerifyInput, type VerifyResult } from '#shared/ingest/schemes/types.ts';
import { verifyWalmartBasic } from '#shared/ingest/schemes/walmart-basic.ts';

/** Schemes that need nothing but the request and the connection. */
export const SCHEMES: Readonly<Partial<Record<Source, (input: VerifyInput) => VerifyResult>>> = {
  shopify: verifyShopify,
  woocommerce: verifyWooCommerce,
  square: verifySquare,
  'standard-webhooks': verifyStandardWebhooks,
  // Walmart's authMethod is chosen per subscription; HMAC unless the connection says basic
  walmart: (input) => (input.connection.walmartAuth === 'basic' ? verifyWalmartBasic(input) : verifyWalmartHmac(input)),
  bigcommerce: verifyBigCommerce,
};

/**
 * Verifies a request for its connection's source. eBay needs its public key first (looked up by
 * the `kid` the header names); a fetcher that cannot reach eBay throws, which the caller answers
 * with a 503 so eBay retries rather than losing the notification.
 */
export async function verifySignature(input: VerifyInput, ebayKeys: EbayKeyFetcher): Promise<VerifyResult> {
  const source = input.connection.source;
  if (source === 'ebay') {
    const sig = parseEbaySignature(input.headers['x-ebay-signature']);
    if (!sig) return fail('missing_signature', 'missing or unreadable x-ebay-signature header');
    const problem = ebayHeaderProblem(sig);
    if (problem) return fail('invalid_signature', problem);
    const key = await ebayKeys.get(sig.kid);
    if (!key) return fail('unknown_key', `eBay does not know key ${sig.kid}`);
    return verifyEbay(input, sig, key);
  }
  const scheme = SCHEMES[source];
  if (!scheme) return fail('missing_signature', `source ${source} does not deliver over HTTP`);
  return scheme(input);
}
