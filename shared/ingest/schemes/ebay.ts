import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import * as z from 'zod/mini';
import { isEbayKid } from '#shared/ingest/ebay-keys.ts';
import type { EbayPublicKey } from '#shared/ingest/ports.ts';
import { fail, ok, type VerifyInput, type VerifyResult } from '#shared/ingest/schemes/types.ts';

/**
 * eBay Notification API (eBay/event-notification-nodejs-sdk lib/validator.js):
 * `X-EBAY-SIGNATURE` is base64 of JSON `{alg:"ecdsa", kid, signature, digest}`. The public key for
 * `kid` comes from `GET /commerce/notification/v1/public_key/{kid}`; the signature is an ECDSA
 * (DER, base64) over the body with the digest the header names — the SDK's test vector uses SHA1,
 * eBay's later material SHA256, so both are honoured.
 */
const EbaySignatureSchema = z.object({
  alg: z.string(),
  kid: z.string().check(z.minLength(1), z.maxLength(256)),
  signature: z.string().check(z.minLength(1)),
  digest: z.optional(z.string()),
});
export type EbaySignature = z.infer<typeof EbaySignatureSchema>;

export function parseEbaySignature(headerValue: string | undefined): EbaySignature | undefined {
  if (!headerValue) return undefined;
  try {
    const parsed = EbaySignatureSchema.safeParse(
      JSON.parse(Buffer.from(headerValue.trim(), 'base64').toString('utf8')),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const DIGESTS: Record<string, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' };
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * What makes a header unverifiable whatever key its kid names, checked before the key lookup: the
 * lookup is a call to eBay that anyone can trigger, so a header that cannot verify must not cost one.
 */
export function ebayHeaderProblem(sig: EbaySignature): string | undefined {
  if (sig.alg.toLowerCase() !== 'ecdsa') return `x-ebay-signature algorithm ${sig.alg} is not ECDSA`;
  if (sig.digest !== undefined && !DIGESTS[sig.digest.toUpperCase().replace('-', '')])
    return `x-ebay-signature digest ${sig.digest} is not supported`;
  if (!isEbayKid(sig.kid)) return 'x-ebay-signature kid is not an eBay key id';
  if (!BASE64.test(sig.signature) || sig.signature.length > 1024) return 'x-ebay-signature signature is not base64';
  return undefined;
}

/**
 * eBay returns the PEM on one line (`-----BEGIN PUBLIC KEY-----MFkw...-----END PUBLIC KEY-----`),
 * which Node's PEM reader refuses; go through DER.
 */
export function importEbayKey(pem: string): KeyObject | undefined {
  const b64 = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
  try {
    return createPublicKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

export function verifyEbay(input: VerifyInput, sig: EbaySignature, key: EbayPublicKey): VerifyResult {
  if (sig.alg.toLowerCase() !== 'ecdsa' || (key.algorithm && key.algorithm.toUpperCase() !== 'ECDSA')) {
    return fail('invalid_signature', `x-ebay-signature algorithm ${sig.alg} is not ECDSA`);
  }
  const digest = DIGESTS[(sig.digest ?? key.digest ?? 'SHA1').toUpperCase().replace('-', '')];
  if (!digest) return fail('invalid_signature', `x-ebay-signature digest ${sig.digest} is not supported`);
  const publicKey = importEbayKey(key.key);
  if (!publicKey) return fail('unknown_key', `public key ${sig.kid} cannot be read`);
  const signature = Buffer.from(sig.signature, 'base64');
  const check = (data: Buffer): boolean => {
    try {
      return cryptoVerify(digest, data, publicKey, signature);
    } catch {
      return false;
    }
  };
  if (check(input.body)) return ok;
  // The SDK verifies over JSON.stringify(parsedBody): eBay signs the compact JSON, so a body that
  // arrives re-spaced still verifies on its compact form.
  try {
    const compact = Buffer.from(JSON.stringify(JSON.parse(input.body.toString('utf8'))), 'utf8');
    if (!compact.equals(input.body) && check(compact)) return ok;
  } catch {
    // not JSON: the raw check above was the only one possible
  }
  return fail('invalid_signature', 'x-ebay-signature does not match the body');
}

/**
 * The endpoint validation challenge (developer.ebay.com marketplace-account-deletion):
 * hex(SHA-256(challengeCode + verificationToken + endpointUrl)), the URL exactly as registered.
 */
export function ebayChallengeResponse(challengeCode: string, verificationToken: string, endpointUrl: string): string {
  return createHash('sha256').update(challengeCode).update(verificationToken).update(endpointUrl).digest('hex');
}
