/**
 * JSON text helpers shared by ingest (dedup keys) and the adapters: sender ids must keep every
 * digit from the raw bytes on, wherever they are read.
 */

/**
 * Integer literals with more digits than this are quoted before JSON.parse. Every integer of up to
 * 15 digits is exact as a JS number; from 16 digits on some are not (2^53 ≈ 9.007e15), and senders
 * use that range for ids: Shopify's test notifications carry ids such as 820982911946154508, which
 * JSON.parse would silently turn into 820982911946154500.
 */
const SAFE_INTEGER_DIGITS = 15;

/**
 * The JSON text with every integer literal longer than SAFE_INTEGER_DIGITS digits written as a
 * string of the same digits, so JSON.parse keeps them. Node 20's JSON.parse gives a reviver no
 * access to a number's source text, and the hub takes no JSON library for this: the scan is one
 * pass that skips string literals (escapes included) and touches only whole integer tokens (a
 * fraction or an exponent leaves a number as it is). Invalid JSON is left for JSON.parse to refuse.
 */
export function quoteLongIntegers(text: string): string {
  let out = '';
  let copied = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      i++;
      continue;
    }
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      if (c === 0x2d) i++;
      const digitsFrom = i;
      while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
      const digits = i - digitsFrom;
      const next = i < n ? text[i] : '';
      if (next === '.' || next === 'e' || next === 'E') {
        // a fraction or exponent: a decimal, not an id; skip the rest of the number token
        while (i < n && /[0-9.eE+-]/.test(text[i]!)) i++;
        continue;
      }
      if (digits > SAFE_INTEGER_DIGITS) {
        out += `${text.slice(copied, start)}"${text.slice(start, i)}"`;
        copied = i;
      }
      continue;
    }
    i++;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** JSON.parse of `quoteLongIntegers(text)`: long integers come back as strings of their digits. */
export function parseLossless(text: string): unknown {
  return JSON.parse(quoteLongIntegers(text));
}
