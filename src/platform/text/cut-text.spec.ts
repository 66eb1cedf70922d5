import { describe, expect, it } from '@jest/globals';
import { cutText } from './cut-text.js';

describe('cutText', () => {
  it('leaves a text that fits, and cuts a longer one to max characters ending in an ellipsis', () => {
    expect(cutText('short', 10)).toBe('short');
    expect(cutText('x'.repeat(10), 10)).toBe('x'.repeat(10));
    expect(cutText('x'.repeat(11), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('never cuts in the middle of a surrogate pair', () => {
    // The emoji's first half falls on the last character kept.
    const cut = cutText(`${'x'.repeat(8)}🔥yyyy`, 10);
    expect(cut).toBe(`${'x'.repeat(8)}…`);
    expect(/[\ud800-\udfff]/.test(cut)).toBe(false);
    expect(cutText(`${'x'.repeat(7)}🔥yyyy`, 10)).toBe(`${'x'.repeat(7)}🔥…`);
  });
});
