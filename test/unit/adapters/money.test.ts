import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { absDecimal, currencyCode, decimalFromNumber, decimalLike, sumDecimals } from '#shared/adapters/money.ts';

describe('adapter money helpers', () => {
  it.each([
    [['10.00', '5.5'], '15.50'],
    [['21.49', '5.00'], '26.49'],
    [['0.10', '0.20'], '0.30'],
    [['-1.25', '1'], '-0.25'],
    [['3', '4'], '7'],
    [[], '0'],
    [['99999999999999999999.99', '0.01'], '100000000000000000000.00'],
  ])('sumDecimals(%j) = %s', (values, expected) => {
    expect(sumDecimals(values)).toBe(expected);
  });

  it('sums exactly what integer cents would give', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -10_000_000, max: 10_000_000 }), { maxLength: 20 }), (cents) => {
        const text = (c: number) =>
          `${c < 0 ? '-' : ''}${Math.floor(Math.abs(c) / 100)}.${String(Math.abs(c) % 100).padStart(2, '0')}`;
        const total = cents.reduce((a, b) => a + b, 0);
        expect(sumDecimals(cents.map(text))).toBe(cents.length ? text(total) : '0');
      }),
    );
  });

  it('absDecimal keeps the digits', () => {
    expect(absDecimal('-10.00')).toBe('10.00');
    expect(absDecimal('4.9')).toBe('4.9');
    expect(() => absDecimal('1e3')).toThrow(RangeError);
  });

  it('decimalFromNumber keeps the printed digits and refuses exponents and non-finite numbers', () => {
    expect(decimalFromNumber(13.36)).toBe('13.36');
    expect(decimalFromNumber(18)).toBe('18');
    expect(decimalFromNumber(-0.5)).toBe('-0.5');
    expect(decimalFromNumber(1e21)).toBeUndefined();
    expect(decimalFromNumber(1e-7)).toBeUndefined();
    expect(decimalFromNumber(Number.NaN)).toBeUndefined();
  });

  it('decimalLike accepts decimal strings and plain numbers only', () => {
    expect(decimalLike.parse('19.99')).toBe('19.99');
    expect(decimalLike.parse(19.99)).toBe('19.99');
    expect(decimalLike.safeParse('19,99').success).toBe(false);
    expect(decimalLike.safeParse(' 1').success).toBe(false);
    expect(decimalLike.safeParse(1e300).success).toBe(false);
  });

  it('currencyCode upper-cases and refuses non-codes', () => {
    expect(currencyCode.parse('eur')).toBe('EUR');
    expect(currencyCode.safeParse('EURO').success).toBe(false);
    expect(currencyCode.safeParse('$').success).toBe(false);
  });
});
