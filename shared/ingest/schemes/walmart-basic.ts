import { walmartHeaderName } from '#shared/ingest/schemes/hmac-body.ts';
import { fail, matchesAny, ok, type VerifyInput, type VerifyResult } from '#shared/ingest/schemes/types.ts';

/**
 * Walmart authMethod BASIC_AUTH: the header named `authHeaderName` carries base64 of `user:pass`
 * (developer.walmart.com security-and-authenticity). A connection's secret is the `user:pass`
 * text; the header is accepted with or without the `Basic ` scheme word.
 */
export function verifyWalmartBasic(input: VerifyInput): VerifyResult {
  const name = walmartHeaderName(input);
  const raw = input.headers[name]?.trim();
  if (!raw) return fail('missing_signature', `missing ${name} header`);
  const presented = raw.replace(/^basic\s+/i, '');
  const candidates = input.connection.secrets.map((s) => Buffer.from(s, 'utf8').toString('base64'));
  return matchesAny(presented, candidates)
    ? ok
    : fail('invalid_signature', `${name} does not carry a valid credential`);
}
