import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { fail, hmacSha256, safeEqual, ok, type VerifyInput, type VerifyResult } from '#shared/ingest/schemes/types.ts';

/**
 * Standard Webhooks v1.0.0 (spec/standard-webhooks.md) and Svix, which sends the same scheme under
 * `svix-*` header names (svix javascript/src/webhook.ts maps either set).
 *  - signed bytes: `${id}.${timestamp}.${rawBody}`
 *  - v1: base64 HMAC-SHA256, key = base64-decoded part of a `whsec_` secret
 *  - v1a: base64 ed25519 signature, checked with a `whpk_` public key (Svix server signs v1a)
 *  - the header may hold several space-separated `version,signature` pairs (key rotation); any
 *    match is enough
 *  - timestamp tolerance 5 minutes both ways, as the reference libraries
 *    (`WEBHOOK_TOLERANCE_IN_SECONDS = 300`) — a replayed old delivery is refused
 */
export const TOLERANCE_SECONDS = 300;

function header(input: VerifyInput, name: 'id' | 'timestamp' | 'signature'): string | undefined {
  return input.headers[`webhook-${name}`] ?? input.headers[`svix-${name}`];
}

type Key = { kind: 'v1'; hmacKey: Buffer } | { kind: 'v1a'; publicKey: KeyObject };

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** `whsec_<b64>` → HMAC key; `whpk_<b64>` → ed25519 public key; a bare secret is base64 (as the reference libraries). */
export function parseKey(secret: string): Key | undefined {
  if (secret.startsWith('whpk_')) {
    const raw = Buffer.from(secret.slice(5), 'base64');
    if (raw.length !== 32) return undefined;
    try {
      return {
        kind: 'v1a',
        publicKey: createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' }),
      };
    } catch {
      return undefined;
    }
  }
  // whsk_ is the signing half of a v1a pair: it must never be configured to verify
  if (secret.startsWith('whsk_')) return undefined;
  const b64 = secret.startsWith('whsec_') ? secret.slice(6) : secret;
  const hmacKey = Buffer.from(b64, 'base64');
  return hmacKey.length > 0 ? { kind: 'v1', hmacKey } : undefined;
}

export function verifyStandardWebhooks(input: VerifyInput): VerifyResult {
  const id = header(input, 'id');
  const timestamp = header(input, 'timestamp');
  const signatures = header(input, 'signature');
  if (!id || !timestamp || !signatures) {
    return fail('missing_signature', 'missing webhook-id, webhook-timestamp or webhook-signature header');
  }
  if (!/^\d{1,12}$/.test(timestamp.trim())) return fail('stale_timestamp', 'webhook-timestamp is not Unix seconds');
  const skew = Math.abs(input.now.getTime() / 1000 - Number(timestamp.trim()));
  if (skew > TOLERANCE_SECONDS) return fail('stale_timestamp', 'webhook-timestamp is more than 5 minutes from now');

  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), input.body]);
  const keys = input.connection.secrets.map(parseKey).filter((k): k is Key => k !== undefined);
  let v1Macs: Buffer[] | undefined;
  let matched = false;
  for (const part of signatures.trim().split(/\s+/)) {
    const comma = part.indexOf(',');
    if (comma < 0) continue;
    const version = part.slice(0, comma);
    const sig = Buffer.from(part.slice(comma + 1), 'base64');
    if (version === 'v1') {
      v1Macs ??= keys.flatMap((k) => (k.kind === 'v1' ? [hmacSha256(k.hmacKey, signed)] : []));
      for (const mac of v1Macs) matched = safeEqual(sig, mac) || matched;
    } else if (version === 'v1a' && sig.length === 64) {
      for (const k of keys) {
        if (k.kind === 'v1a' && cryptoVerify(null, signed, k.publicKey, sig)) matched = true;
      }
    }
    // other versions are skipped, as the reference libraries do
  }
  return matched ? ok : fail('invalid_signature', 'no webhook-signature matches');
}
