import { describe, expect, it } from 'vitest';
import { parseJson, quoteLongIntegers } from '#shared/adapters/common.ts';
import { AdapterError } from '#shared/adapters/types.ts';

describe('parseJson keeps sender ids exact', () => {
  it('keeps the digits of an id above 2^53 that JSON.parse would round', () => {
    // Prepare
    const body = '{"id":820982911946154508,"line_items":[{"id":866550311766439020,"variant_id":808950810}]}';
    // Act
    const parsed = parseJson(body) as { id: unknown; line_items: { id: unknown; variant_id: unknown }[] };
    // Assess
    expect(String(JSON.parse(body).id)).toBe('820982911946154500');
    expect(parsed.id).toBe('820982911946154508');
    expect(parsed.line_items[0]?.id).toBe('866550311766439020');
    expect(parsed.line_items[0]?.variant_id).toBe(808950810);
  });

  it('leaves strings, decimals, exponents and short integers as JSON.parse reads them', () => {
    // Prepare
    const body =
      '{"note":"call 12345678901234567890 \\" 99999999999999999","price":12345678901234567.5,"big":1.2345678901234567e+21,"qty":-3,"n":999999999999999,"ok":true,"nil":null}';
    // Act
    const parsed = parseJson(body);
    // Assess
    expect(parsed).toEqual({
      note: 'call 12345678901234567890 " 99999999999999999',
      price: 12345678901234567.5,
      big: 1.2345678901234567e21,
      qty: -3,
      n: 999999999999999,
      ok: true,
      nil: null,
    });
  });

  it('quotes 16-digit and negative long integers at any depth, and leaves text untouched without them', () => {
    // Prepare
    const withLong = '[1234567890123456, -98765432109876543, {"a":[7]}]';
    const withoutLong = '{"id": 450789469, "s": "x"}';
    // Act
    const quoted = quoteLongIntegers(withLong);
    const same = quoteLongIntegers(withoutLong);
    // Assess
    expect(quoted).toBe('["1234567890123456", "-98765432109876543", {"a":[7]}]');
    expect(same).toBe(withoutLong);
  });

  it('still refuses invalid JSON as malformed', () => {
    // Prepare
    const body = '{"id": 820982911946154508,';
    // Act
    let error: unknown;
    try {
      parseJson(body);
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(AdapterError);
    expect((error as AdapterError).kind).toBe('malformed');
  });
});
