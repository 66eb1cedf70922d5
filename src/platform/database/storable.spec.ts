import { describe, expect, it } from '@jest/globals';
import { MAX_STORED_DEPTH, storable } from './storable.js';

describe('storable values', () => {
  it('U+0000 and lone surrogates become U+FFFD, in values and keys; pairs stay; deep nesting is cut', () => {
    expect(storable({ 'a\u0000': 'x\u0000y', b: ['\ud800', '\udc00z', '\ud83d\ude00'] })).toEqual({
      'a\ufffd': 'x\ufffdy',
      b: ['\ufffd', '\ufffdz', '😀'],
    });
    const deep = JSON.parse('['.repeat(5000) + ']'.repeat(5000));
    const cut = storable(deep);
    let depth = 0;
    for (let v: unknown = cut; Array.isArray(v); v = v[0]) depth++;
    expect(depth).toBe(MAX_STORED_DEPTH);
    expect(() => JSON.stringify(cut)).not.toThrow();
    expect(storable({ n: 1, t: true, z: null })).toEqual({ n: 1, t: true, z: null });
  });
});
