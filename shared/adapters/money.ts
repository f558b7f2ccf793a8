import { z } from 'zod';
import { MAX_AMOUNT_DIGITS } from '#shared/domain/events.ts';

/**
 * Money helpers for the adapters. Amounts stay decimal strings in major units ("19.99") from the
 * sender's text to the canonical event; arithmetic (refund sums) runs on BigInt minor units so no
 * float ever touches an amount.
 */

const DECIMAL = /^-?\d+(\.\d+)?$/;
/** what the canonical money schema takes: minor units stay exact integers below 2^53 */
const BOUNDED = new RegExp(`^-?\\d{1,${MAX_AMOUNT_DIGITS}}(\\.\\d+)?$`);

/** A decimal string as the senders write it ("19.99", "-5.00", "3"); kept exactly as sent. */
export const decimalString = z
  .string()
  .regex(DECIMAL, 'expected a decimal string like "19.99"')
  .regex(BOUNDED, `at most ${MAX_AMOUNT_DIGITS} integer digits`);

/**
 * The digits of a JSON number. WooCommerce sends `line_items[].price` as a JSON number (REST v3
 * types it `number`); PHP's json_encode (serialize_precision = -1) prints the shortest text that
 * round-trips, which is exactly what JS `String(n)` prints, so this recovers the sender's own
 * digits rather than computing with a float. Exponent forms (1e21, 1e-7) are refused.
 */
export function decimalFromNumber(n: number): string | undefined {
  if (!Number.isFinite(n)) return undefined;
  const text = String(n);
  return DECIMAL.test(text) ? text : undefined;
}

/** A decimal given as a string, or as a JSON number by senders that print numbers (WooCommerce). */
export const decimalLike = z.union([
  decimalString,
  z.number().transform((n, ctx) => {
    const text = decimalFromNumber(n);
    if (text === undefined || !BOUNDED.test(text)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a plain decimal number of at most ${MAX_AMOUNT_DIGITS} integer digits`,
      });
      return z.NEVER;
    }
    return text;
  }),
]);

/** ISO 4217 code. Upper-cased first: a lower-case code is a formatting difference, not an error. */
export const currencyCode = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .pipe(z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code like "USD"'));

interface Scaled {
  units: bigint;
  scale: number;
}

function toScaled(value: string): Scaled {
  if (!DECIMAL.test(value)) throw new RangeError(`not a decimal string: ${JSON.stringify(value)}`);
  const negative = value.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? value.slice(1) : value).split('.');
  const units = BigInt(whole + fraction);
  return { units: negative ? -units : units, scale: fraction.length };
}

function fromScaled({ units, scale }: Scaled): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

/**
 * Exact sum of decimal strings, at the largest scale among them ("10.00" + "5.5" = "15.50").
 * An empty list sums to "0".
 */
export function sumDecimals(values: readonly string[]): string {
  const parts = values.map(toScaled);
  const scale = Math.max(0, ...parts.map((p) => p.scale));
  const units = parts.reduce((acc, p) => acc + p.units * 10n ** BigInt(scale - p.scale), 0n);
  return fromScaled({ units, scale });
}

/** Absolute value of a decimal string, digits kept ("-10.00" → "10.00"). */
export function absDecimal(value: string): string {
  toScaled(value);
  return value.startsWith('-') ? value.slice(1) : value;
}
