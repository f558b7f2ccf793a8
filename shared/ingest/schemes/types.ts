import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Connection } from '#shared/domain/connection.ts';

/** What a scheme needs to decide whether a request came from the sender. */
export interface VerifyInput {
  connection: Connection;
  /** lower-cased names */
  headers: Record<string, string>;
  /** the exact bytes received */
  body: Buffer;
  /** the URL the sender called; Square signs it, eBay's challenge hashes it */
  url: string;
  now: Date;
}

export type VerifyResult = { ok: true } | { ok: false; code: VerifyFailureCode; message: string };
export type VerifyFailureCode = 'missing_signature' | 'invalid_signature' | 'stale_timestamp' | 'unknown_key';

export const ok: VerifyResult = { ok: true };
export const fail = (code: VerifyFailureCode, message: string): VerifyResult => ({ ok: false, code, message });

export function hmacSha256(key: string | Buffer, ...parts: (string | Buffer)[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * Constant-time comparison of two strings or byte strings. Lengths differ only when the value is
 * malformed, and a length is no secret, so that check may return early.
 */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** Does `presented` equal any of `candidates`? Every candidate is compared (no early exit). */
export function matchesAny(presented: string, candidates: string[]): boolean {
  let found = false;
  for (const c of candidates) found = safeEqual(presented, c) || found;
  return found;
}
