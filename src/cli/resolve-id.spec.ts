import { describe, expect, it } from '@jest/globals';
import { CliError } from './exit-codes.js';
import { matchTail } from './resolve-id.js';

const ids = [
  '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f9a1c',
  '0190a1b2-c3d4-7e5f-8a9b-0c1d2e4f9a1c',
  '0190a1b2-c3d4-7e5f-8a9b-00000000beef',
];

describe('matchTail', () => {
  it('finds the one id ending in the tail, in any case', () => {
    expect(matchTail(ids, 'BEEF', 'run')).toBe(ids[2]);
    expect(matchTail(ids, '3f9a1c', 'run')).toBe(ids[0]);
  });

  it('refuses a tail that several ids end in, showing longer tails to choose from', () => {
    expect(() => matchTail(ids, 'f9a1c', 'run')).toThrow(
      new CliError('2 runs end in f9a1c (…d2e3f9a1c, …d2e4f9a1c): give more of the id'),
    );
  });

  it('refuses a tail nothing ends in, saying how far it looked', () => {
    expect(() => matchTail(ids, 'abcd', 'recovery')).toThrow(
      'no recovery among the newest 3 ends in abcd: give its whole id',
    );
  });
});
