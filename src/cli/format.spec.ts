import { describe, expect, it } from '@jest/globals';
import { ago, cut, idTail, instantOption, limitOption, shortenIds, table } from './format.js';

const NOW = Date.parse('2026-12-05T10:00:00Z');

describe('formatting for people', () => {
  it('shows ids by their random tail, as the console does, in text too', () => {
    expect(idTail('0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f9a1c')).toBe('3f9a1c');
    expect(shortenIds('run 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f9a1c failed')).toBe('run …3f9a1c failed');
  });

  it('says how long ago, or how soon, in the unit that reads best', () => {
    expect(ago('2026-12-05T09:59:48Z', NOW)).toBe('12 s ago');
    expect(ago('2026-12-05T09:55:30Z', NOW)).toBe('4 min ago');
    expect(ago('2026-12-05T07:00:00Z', NOW)).toBe('3 h ago');
    expect(ago('2026-12-01T10:00:00Z', NOW)).toBe('4 d ago');
    expect(ago('2026-12-05T12:30:00Z', NOW)).toBe('in 2 h');
    expect(ago(null, NOW)).toBe('—');
  });

  it('pads columns to their widest cell, leaves the last one ragged, and cuts long cells with a mark', () => {
    expect(
      table(
        ['ID', 'TITLE'],
        [
          ['…abc', 'short'],
          ['…abcdef', cut('a very long title indeed', 10)],
        ],
      ),
    ).toBe(['ID       TITLE', '…abc     short', '…abcdef  a very lo…'].join('\n'));
  });
});

describe('options', () => {
  it('reads --since as a duration back from now, or passes a date on for the API to judge', () => {
    expect(instantOption('2h', NOW)).toBe('2026-12-05T08:00:00.000Z');
    expect(instantOption('30m', NOW)).toBe('2026-12-05T09:30:00.000Z');
    expect(instantOption('90s', NOW)).toBe('2026-12-05T09:58:30.000Z');
    expect(instantOption('7d', NOW)).toBe('2026-11-28T10:00:00.000Z');
    expect(instantOption('1w', NOW)).toBe('2026-11-28T10:00:00.000Z');
    expect(instantOption(' 2026-12-01 ', NOW)).toBe('2026-12-01');
    expect(instantOption('yesterday', NOW)).toBe('yesterday');
  });

  it('takes a --limit within the bounds the API has', () => {
    expect(limitOption(200)('200')).toBe(200);
    for (const bad of ['0', '201', '1.5', '-3', 'ten', ''])
      expect(() => limitOption(200)(bad)).toThrow('--limit must be a whole number from 1 to 200');
  });
});
