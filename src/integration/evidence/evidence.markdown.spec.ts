import { describe, expect, it } from '@jest/globals';
import { mdCodeBlock, mdText } from './evidence.markdown.js';

describe('mdText', () => {
  it('escapes what could open markup, links, HTML or a new table cell', () => {
    expect(mdText('a | b `c` *d* _e_ [f](g) <h> ~i~ &amp; $x$ \\')).toBe(
      'a \\| b \\`c\\` \\*d\\* \\_e\\_ \\[f\\](g) \\<h\\> \\~i\\~ \\&amp; \\$x\\$ \\\\',
    );
  });

  it('keeps a value on one line', () => {
    expect(mdText('one\ntwo\r\nthree')).toBe('one<br>two<br>three');
    expect(mdText('one\ntwo', ' ')).toBe('one two');
  });

  it('renders null as nothing and other values as JSON', () => {
    expect(mdText(null)).toBe('');
    expect(mdText(0.5)).toBe('0.5');
    expect(mdText(['a'])).toBe('\\["a"\\]');
  });
});

describe('mdCodeBlock', () => {
  it('uses a fence longer than any backtick run inside', () => {
    expect(mdCodeBlock('request.agentId == "a"', 'cel')).toBe('```cel\nrequest.agentId == "a"\n```');
    expect(mdCodeBlock('x ```` y')).toBe('`````\nx ```` y\n`````');
  });
});
