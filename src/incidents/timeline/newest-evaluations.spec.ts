import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { EVALUATION_BATCH, newestEvaluations } from './newest-evaluations.js';

interface E { id: number; createdAt: string }

/** A ListEvaluations stand-in: oldest first, [since, until), at most `limit`; counts calls. */
function source(times: number[], untilMs: number) {
  const rows = times
    .map((t, id) => ({ id, t }))
    .sort((a, b) => a.t - b.t || a.id - b.id)
    .map(({ id, t }) => ({ id, t, createdAt: new Date(t).toISOString() }));
  const calls: number[] = [];
  const fetch = async (sinceMs: number, limit: number): Promise<E[]> => {
    calls.push(sinceMs);
    return rows.filter((r) => r.t >= sinceMs && r.t < untilMs).slice(0, limit).map(({ id, createdAt }) => ({ id, createdAt }));
  };
  const expected = (cap: number) => rows.filter((r) => r.t < untilMs).slice(-cap).map(({ id, createdAt }) => ({ id, createdAt }));
  return { fetch, calls, expected };
}

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('newestEvaluations', () => {
  it('answers in one call when there are no more than the cap', async () => {
    const s = source([T0 + 1, T0 + 2, T0 + 3], T0 + 10_000);
    expect(await newestEvaluations(s.fetch, T0, T0 + 10_000, 5)).toEqual({ items: s.expected(5), truncated: false });
    expect(s.calls).toHaveLength(1);
  });

  it('finds the newest rows of a long, busy history in a few calls', async () => {
    const day = 86_400_000;
    const times = Array.from({ length: 50_000 }, (_, i) => T0 + Math.floor((i * 30 * day) / 50_000));
    const until = T0 + 30 * day;
    const s = source(times, until);
    const result = await newestEvaluations(s.fetch, T0, until, 500);
    expect(result.truncated).toBe(true);
    expect(result.items).toEqual(s.expected(500));
    expect(s.calls.length).toBeLessThan(40);
  });

  it('copes with more than a batch in one millisecond', async () => {
    const times = [...Array.from({ length: EVALUATION_BATCH + 200 }, () => T0 + 5), T0 + 7, T0 + 9];
    const s = source(times, T0 + 60_000);
    const result = await newestEvaluations(s.fetch, T0, T0 + 60_000, 500);
    expect(result.truncated).toBe(true);
    expect(result.items).toHaveLength(500);
    expect(result.items.slice(-2)).toEqual(s.expected(2));
    expect(result.items.slice(0, -2).every((e) => e.createdAt === new Date(T0 + 5).toISOString())).toBe(true);
  });

  it('always answers exactly the newest `cap` rows, oldest first', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 10_000_000 }), { maxLength: 3000 }),
        fc.integer({ min: 1, max: 600 }),
        async (offsets, cap) => {
          const until = T0 + 10_000_001;
          const s = source(offsets.map((o) => T0 + o), until);
          const result = await newestEvaluations(s.fetch, T0, until, cap);
          expect(result.items).toEqual(s.expected(cap));
          expect(result.truncated).toBe(offsets.length > cap);
        },
      ),
      { numRuns: 60 },
    );
  });
});
