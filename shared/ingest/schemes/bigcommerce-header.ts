import { fail, matchesAny, ok, type VerifyInput, type VerifyResult } from '#shared/ingest/schemes/types.ts';

/**
 * BigCommerce signs nothing (dev-docs about-webhooks: security rests on TLS and the custom
 * `headers` given when the hook is created, which BigCommerce echoes on every delivery). The
 * connection names that header (`authHeaderName`) and its value must equal one of the secrets.
 */
export const BIGCOMMERCE_DEFAULT_HEADER = 'x-hub-secret';

export function bigCommerceHeaderName(input: Pick<VerifyInput, 'connection'>): string {
  return (input.connection.authHeaderName ?? BIGCOMMERCE_DEFAULT_HEADER).toLowerCase();
}

export function verifyBigCommerce(input: VerifyInput): VerifyResult {
  const name = bigCommerceHeaderName(input);
  const presented = input.headers[name]?.trim();
  if (!presented) return fail('missing_signature', `missing ${name} header`);
  return matchesAny(presented, input.connection.secrets) ? ok : fail('invalid_signature', `${name} does not match`);
}
