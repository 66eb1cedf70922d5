import { describe, expect, it } from '@jest/globals';
import { describeChange, nextTrust } from './trust-formula.js';

describe('nextTrust', () => {
  it('moves a quarter of the way to 1 after a verified run', () => {
    expect(nextTrust(0.75, 'succeeded')).toBe(0.8125);
    expect(nextTrust(1, 'succeeded')).toBe(1);
    expect(nextTrust(0, 'succeeded')).toBe(0.25);
  });

  it('takes a quarter away after a failed or rolled-back run, half after a failed rollback', () => {
    expect(nextTrust(0.8, 'failed')).toBe(0.6);
    expect(nextTrust(0.8, 'rolled_back')).toBe(0.6);
    expect(nextTrust(0.8, 'rollback_failed')).toBe(0.4);
    expect(nextTrust(0, 'failed')).toBe(0);
  });

  it('leaves trust alone when an operator canceled the run', () => {
    expect(nextTrust(0.5, 'canceled')).toBeNull();
  });

  it('stays in [0, 1] over any sequence', () => {
    let t = 0.5;
    for (let i = 0; i < 200; i++) {
      t = nextTrust(t, i % 3 === 0 ? 'rollback_failed' : 'succeeded')!;
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThanOrEqual(1);
    }
  });

  it('describes a change with its run', () => {
    expect(describeChange(0.75, 0.8125, 'r-1', 'succeeded')).toBe('0.75 → 0.8125 after run r-1 (succeeded)');
  });
});
