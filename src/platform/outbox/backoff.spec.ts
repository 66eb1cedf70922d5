import { describe, expect, it } from '@jest/globals';
import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  it('doubles with each attempt between half and all of the exponential delay', () => {
    expect(backoffDelayMs(1, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelayMs(1, 100, 10_000, () => 1)).toBe(100);
    expect(backoffDelayMs(3, 100, 10_000, () => 0)).toBe(200);
    expect(backoffDelayMs(3, 100, 10_000, () => 1)).toBe(400);
  });

  it('never exceeds the maximum', () => {
    expect(backoffDelayMs(30, 100, 5_000, () => 1)).toBe(5_000);
    expect(backoffDelayMs(30, 100, 5_000, () => 0)).toBe(2_500);
  });

  it('spreads retries of the same attempt (jitter)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(4, 100, 10_000)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
