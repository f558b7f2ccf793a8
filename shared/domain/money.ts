/**
 * Money arithmetic in integer minor units (never floats). Amounts are decimal
 * strings in major units with the currency beside them. Two decimal places cover USD, EUR and PLN;
 * zero-decimal (JPY) and three-decimal (KWD) currencies get their ISO 4217 exponent.
 */
const EXPONENT: Record<string, number> = { JPY: 0, KRW: 0, HUF: 2, KWD: 3, BHD: 3, JOD: 3, OMR: 3, TND: 3 };

export function currencyExponent(currency: string): number {
  return EXPONENT[currency] ?? 2;
}

/** "19.99" USD → 1999. Extra decimals beyond the exponent are rounded half away from zero. */
export function toMinor(amount: string, currency: string): number {
  const exp = currencyExponent(currency);
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!m) throw new RangeError(`not a decimal amount: ${amount}`);
  const [, sign, whole, frac = ''] = m;
  const padded = (frac + '0'.repeat(exp + 1)).slice(0, exp + 1);
  let minor = Number(whole) * 10 ** exp + Math.floor(Number(padded) / 10);
  if (Number(padded) % 10 >= 5) minor += 1;
  return sign === '-' ? -minor : minor;
}

/** 1999 USD → "19.99" */
export function fromMinor(minor: number, currency: string): string {
  const exp = currencyExponent(currency);
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(minor));
  if (exp === 0) return `${sign}${abs}`;
  const s = String(abs).padStart(exp + 1, '0');
  return `${sign}${s.slice(0, -exp)}.${s.slice(-exp)}`;
}
