import { randomBytes } from 'node:crypto';
import type { Source } from '#shared/domain/connection.ts';

/**
 * A fresh secret in the form each sender expects to be given:
 *  - standard-webhooks: `whsec_` + base64 of 32 random bytes (spec: 24–64 bytes)
 *  - walmart (basic): `hub:<random>` — the `user:pass` Walmart sends base64-encoded
 *  - ebay: the verification token, 32–80 chars of [A-Za-z0-9_-] (eBay's stated rule)
 *  - the rest: 32 random bytes, base64url (a string the sender's admin UI accepts as typed)
 */
export function newSecret(source: Source, opts: { walmartAuth?: 'basic' | 'hmac' } = {}): string {
  const random = randomBytes(32);
  switch (source) {
    case 'standard-webhooks':
      return `whsec_${random.toString('base64')}`;
    case 'walmart':
      return opts.walmartAuth === 'basic' ? `hub:${random.toString('base64url')}` : random.toString('base64url');
    case 'ebay':
      return `hub_${random.toString('base64url')}`;
    default:
      return random.toString('base64url');
  }
}
