import { describe, expect, it } from '@jest/globals';
import { ERROR_TEMPLATES, generateErrorCorpus, seededShuffle } from './fixtures/error-corpus.js';
import { groupCorpus, groupingAccuracy } from './support/grouping.js';

describe('failure catalog grouping quality', () => {
  const corpus = seededShuffle(generateErrorCorpus(), 7);

  it('uses a corpus of at least 30 templates and 360 messages', () => {
    expect(ERROR_TEMPLATES.length).toBeGreaterThanOrEqual(30);
    expect(corpus.length).toBeGreaterThanOrEqual(360);
    expect(new Set(corpus.map((e) => e.message)).size).toBeGreaterThan(corpus.length * 0.95);
  });

  it('groups the shuffled corpus perfectly and never merges two templates', () => {
    const result = groupingAccuracy(corpus, groupCorpus(corpus));

    // On failure Jest prints the received values: the merged templates, or the accuracy.
    expect(result.mergedGroups).toEqual([]);
    expect(result.accuracy).toBe(1);
  });

  it.each([1, 2, 3])('holds for another arrival order (shuffle seed %i)', (seed) => {
    const shuffled = seededShuffle(generateErrorCorpus(), seed);
    const result = groupingAccuracy(shuffled, groupCorpus(shuffled));
    expect(result.mergedGroups).toEqual([]);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
  });
});
