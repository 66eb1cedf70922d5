import { describe, expect, it } from '@jest/globals';
import { PatternIndex } from '../src/self-healing/catalog/pattern-matcher.js';
import { extractSignature } from '../src/self-healing/catalog/signature.js';
import { seededShuffle } from './fixtures/error-corpus.js';
import { generateVariedCorpus, NEAR_MISS_PAIRS, VARIED_TEMPLATES, type VariedEntry } from './fixtures/varied-corpus.js';
import { groupCorpus, groupingAccuracy } from './support/grouping.js';

/** Accuracy overall and per kind of system; a kind's figure scores its messages in the shared grouping. */
function measure(corpus: readonly VariedEntry[]) {
  const predicted = groupCorpus(corpus);
  const overall = groupingAccuracy(corpus, predicted);
  const perKind = new Map<string, number>();
  for (const kind of new Set(corpus.map((e) => e.kind))) {
    const at = corpus.flatMap((e, i) => (e.kind === kind ? [i] : []));
    perKind.set(
      kind,
      groupingAccuracy(
        at.map((i) => corpus[i]!),
        at.map((i) => predicted[i]!),
      ).accuracy,
    );
  }
  return { overall, perKind };
}

describe('grouping of the varied corpus (variable words, dates, units, twelve kinds of system)', () => {
  const corpus = seededShuffle(generateVariedCorpus(), 11);

  it('has ≥ 2 000 distinct-enough messages from ≥ 12 kinds of system, with near-miss pairs', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(2000);
    expect(new Set(corpus.map((e) => e.kind)).size).toBeGreaterThanOrEqual(12);
    expect(new Set(corpus.map((e) => e.message)).size).toBeGreaterThan(corpus.length * 0.9);
    expect(NEAR_MISS_PAIRS.length).toBeGreaterThanOrEqual(8);
    expect(VARIED_TEMPLATES.length).toBeGreaterThanOrEqual(60);
  });

  it('groups with accuracy ≥ 0.99 overall and ≥ 0.90 for every kind, merging no two templates', () => {
    const { overall, perKind } = measure(corpus);
    console.log(
      `varied corpus: ${corpus.length} messages, accuracy ${overall.accuracy.toFixed(3)}\n` +
        [...perKind].map(([kind, accuracy]) => `  ${kind.padEnd(10)} ${accuracy.toFixed(3)}`).join('\n'),
    );
    expect(overall.mergedGroups).toEqual([]);
    expect(overall.accuracy).toBeGreaterThanOrEqual(0.99);
    for (const [kind, accuracy] of perKind)
      expect({ kind, accuracy: accuracy >= 0.9 }).toEqual({ kind, accuracy: true });
  });

  it.each([1, 2, 3])('holds for another arrival order (shuffle seed %i)', (seed) => {
    const { overall, perKind } = measure(seededShuffle(generateVariedCorpus(), seed));
    expect(overall.mergedGroups).toEqual([]);
    expect(overall.accuracy).toBeGreaterThanOrEqual(0.99);
    expect(Math.min(...perKind.values())).toBeGreaterThanOrEqual(0.9);
  });

  it.each(NEAR_MISS_PAIRS)('never merges the near-miss templates %s and %s, however many of each arrive', (a, b) => {
    const pair = generateVariedCorpus().filter((e) => e.templateId === a || e.templateId === b);
    // Both templates' messages, many times over and interleaved: each keeps its own pattern.
    const many = seededShuffle(
      [...pair, ...generateVariedCorpus(99).filter((e) => e.templateId === a || e.templateId === b)],
      5,
    );
    const index = new PatternIndex();
    let n = 0;
    const ids = many.map(
      (e) =>
        index.matchOrAdd(extractSignature(e.errorType, e.message), 0.8, () => `p${String(++n).padStart(4, '0')}`).id,
    );
    const final = ids.map((id) => index.resolve(id));
    const patternsOf = (templateId: string) => new Set(final.filter((_, i) => many[i]!.templateId === templateId));
    const [ofA, ofB] = [patternsOf(a), patternsOf(b)];
    expect([...ofA].filter((id) => ofB.has(id))).toEqual([]);
    expect(ofA.size).toBe(1);
    expect(ofB.size).toBe(1);
  });
});
