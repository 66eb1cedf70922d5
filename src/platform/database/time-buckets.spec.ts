import { describe, expect, it } from '@jest/globals';
import { lastBuckets, perBucket } from './time-buckets.js';

describe('lastBuckets', () => {
  it('ends with the bucket holding now, aligned to the bucket size', () => {
    const hour = 3_600_000;
    const frame = lastBuckets(new Date('2026-03-01T10:20:00Z'), hour, 24);
    expect(frame.from.toISOString()).toBe('2026-02-28T11:00:00.000Z');
    expect(frame.from.getTime() + 24 * hour).toBe(Date.parse('2026-03-01T11:00:00Z'));
  });
});

describe('perBucket', () => {
  it('places each row at its bucket and fills the others, ignoring rows outside', () => {
    const frame = { from: new Date(0), bucketMs: 1000, count: 3 };
    expect(
      perBucket(
        frame,
        [
          { b: 2, n: 5 },
          { b: 0, n: 1 },
          { b: 7, n: 9 },
          { b: -1, n: 9 },
        ],
        (r) => r.n,
        0,
      ),
    ).toEqual([1, 0, 5]);
  });
});
