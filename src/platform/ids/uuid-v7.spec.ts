import { describe, expect, it } from '@jest/globals';
import { uuidv7, uuidv7At } from './uuid-v7.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('is a version 7, variant 10 UUID whose first 48 bits are the time in milliseconds', () => {
    const at = Date.UTC(2026, 10, 25, 21, 30, 0, 123);
    const id = uuidv7At(at);
    expect(id).toMatch(V7);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sorts by the time it was made, and is unique within one millisecond', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => uuidv7At(1_700_000_000_000 + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 100; i < ids.length; i += 100) expect(ids[i - 1]! < ids[i]!).toBe(true);
    expect(ids.every((id) => V7.test(id))).toBe(true);
  });

  it('made one after another in this process, sorts in the order made, within a millisecond too', () => {
    const ids = Array.from({ length: 4000 }, () => uuidv7()); // fewer than the 4 096 a millisecond counts
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => V7.test(id))).toBe(true);
  });

  it('uses the current time', () => {
    const before = Date.now();
    const id = uuidv7();
    const at = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });
});
