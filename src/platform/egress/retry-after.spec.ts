import { describe, expect, it } from '@jest/globals';
import { parseRetryAfter, retryDelayMs } from './retry-after.js';

describe('Retry-After and retry delays', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('backs off exponentially with jitter, never below Retry-After', () => {
    expect(retryDelayMs(1, null, 100, 10_000, () => 0)).toBe(50);
    expect(retryDelayMs(1, null, 100, 10_000, () => 1)).toBe(100);
    expect(retryDelayMs(4, null, 100, 10_000, () => 1)).toBe(800);
    expect(retryDelayMs(20, null, 100, 10_000, () => 1)).toBe(10_000);
    expect(retryDelayMs(1, 3000, 100, 10_000, () => 1)).toBe(3000);
  });
});
