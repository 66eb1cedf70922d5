import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { canonicalJson, jsonData } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: true }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}',
    );
  });

  it('sorts keys by UTF-16 code units, as RFC 8785 does', () => {
    // U+E000 sorts after U+1F600 (a surrogate pair, 0xD83D…) in code units, before it in code points.
    expect(canonicalJson({ '\uE000': 1, '😀': 2, B: 3, a: 4, '': 5 })).toBe('{"":5,"B":3,"a":4,"😀":2,"\uE000":1}');
  });

  it('writes numbers and strings as JSON.stringify does (RFC 8785 test values)', () => {
    expect(canonicalJson([1e21, 1e-7, -0, 0.1 + 0.2, 333333333.3333333, 5e-324, 1.7976931348623157e308])).toBe(
      '[1e+21,1e-7,0,0.30000000000000004,333333333.3333333,5e-324,1.7976931348623157e+308]',
    );
    expect(canonicalJson('é\n"\\\u001f\u007f\u2028')).toBe('"é\\n\\"\\\\\\u001f\u007f\u2028"');
  });

  it('refuses what JSON has no form for', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(/no form/);
    expect(() => canonicalJson(undefined)).toThrow(/no form/);
    expect(() => canonicalJson({ a: () => 1 })).toThrow(/no form/);
  });

  it('is the same text for equal data whatever the key order, and parses back to the data', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const data = jsonData(value);
        const text = canonicalJson(data);
        expect(JSON.parse(text)).toEqual(data);
        const shuffled = JSON.parse(JSON.stringify(data), (_k, v: unknown) =>
          v !== null && typeof v === 'object' && !Array.isArray(v)
            ? Object.fromEntries(Object.entries(v).reverse())
            : v,
        );
        expect(canonicalJson(shuffled)).toBe(text);
      }),
    );
  });
});

describe('jsonData', () => {
  it('is the value as JSON would carry it: dates as ISO strings, undefined dropped, nothing as null', () => {
    expect(
      jsonData({ at: new Date('2026-01-02T03:04:05.678Z'), gone: undefined, n: Number.POSITIVE_INFINITY }),
    ).toEqual({
      at: '2026-01-02T03:04:05.678Z',
      n: null,
    });
    expect(jsonData(undefined)).toBeNull();
  });

  it('replaces U+0000 and lone surrogates (PostgreSQL cannot store them) in strings and keys, keeps pairs', () => {
    expect(jsonData({ 'k\u0000': ['a\u0000b', 'x\uD800', '\uDC00y', '😀'] })).toEqual({
      'k\uFFFD': ['a\uFFFDb', 'x\uFFFD', '\uFFFDy', '😀'],
    });
  });
});
