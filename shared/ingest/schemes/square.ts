import { fail, hmacSha256, matchesAny, ok, type VerifyInput, type VerifyResult } from '#shared/ingest/schemes/types.ts';

/**
 * Square: `x-square-hmacsha256-signature` = base64 HMAC-SHA256(notificationUrl + rawBody) keyed
 * with the subscription's signature key (square-nodejs-sdk WebhooksHelper.ts). The URL must be the
 * subscribed one byte for byte, so the connection's `notificationUrl` wins over the URL this
 * request reached us on (a proxy or custom domain changes the latter).
 */
export function verifySquare(input: VerifyInput): VerifyResult {
  const presented = input.headers['x-square-hmacsha256-signature']?.trim();
  if (!presented) return fail('missing_signature', 'missing x-square-hmacsha256-signature header');
  const url = input.connection.notificationUrl ?? input.url;
  const candidates = input.connection.secrets.map((s) => hmacSha256(s, url, input.body).toString('base64'));
  return matchesAny(presented, candidates)
    ? ok
    : fail('invalid_signature', 'x-square-hmacsha256-signature does not match the notification URL and body');
}
