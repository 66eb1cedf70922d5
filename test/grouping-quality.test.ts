import { describe, expect, it } from '@jest/globals';
import { PatternIndex } from '../src/self-healing/catalog/pattern-matcher.js';
import { extractSignature } from '../src/self-healing/catalog/signature.js';
import { ERROR_TEMPLATES, generateErrorCorpus, seededShuffle, type CorpusEntry } from './fixtures/error-corpus.js';

interface GroupingResult {
  accuracy: number;
  /** Predicted groups that hold messages of more than one template. */
  mergedGroups: string[][];
}

/**
 * Grouping accuracy as in Loghub / Drain: a message counts as correct only if its predicted
 * group holds exactly the messages of its true template — no more (merge), no fewer (split).
 */
function groupingAccuracy(entries: readonly CorpusEntry[], predicted: readonly string[]): GroupingResult {
  const trueSizes = new Map<string, number>();
  for (const entry of entries) trueSizes.set(entry.templateId, (trueSizes.get(entry.templateId) ?? 0) + 1);

  const groups = new Map<string, CorpusEntry[]>();
  entries.forEach((entry, i) => {
    const group = groups.get(predicted[i]!);
    if (group) group.push(entry);
    else groups.set(predicted[i]!, [entry]);
  });

  let correct = 0;
  const mergedGroups: string[][] = [];
  for (const members of groups.values()) {
    const templates = [...new Set(members.map((m) => m.templateId))];
    if (templates.length > 1) mergedGroups.push(templates);
    else if (members.length === trueSizes.get(templates[0]!)) correct += members.length;
  }
  return { accuracy: correct / entries.length, mergedGroups };
}

function groupCorpus(entries: readonly CorpusEntry[]): string[] {
  const index = new PatternIndex();
  let nextId = 0;
  const newId = () => `p${++nextId}`;
  return entries.map((entry) => index.matchOrAdd(extractSignature(entry.errorType, entry.message), 0.8, newId).id);
}

describe('failure catalog grouping quality', () => {
  const corpus = seededShuffle(generateErrorCorpus(), 7);

  it('uses a corpus of at least 30 templates and 360 messages', () => {
    expect(ERROR_TEMPLATES.length).toBeGreaterThanOrEqual(30);
    expect(corpus.length).toBeGreaterThanOrEqual(360);
    expect(new Set(corpus.map((e) => e.message)).size).toBeGreaterThan(corpus.length * 0.95);
  });

  it('groups the shuffled corpus with accuracy ≥ 0.95 and never merges two templates', () => {
    const result = groupingAccuracy(corpus, groupCorpus(corpus));

    // On failure Jest prints the received values: the merged templates, or the accuracy.
    expect(result.mergedGroups).toEqual([]);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it.each([1, 2, 3])('holds for another arrival order (shuffle seed %i)', (seed) => {
    const shuffled = seededShuffle(generateErrorCorpus(), seed);
    const result = groupingAccuracy(shuffled, groupCorpus(shuffled));
    expect(result.mergedGroups).toEqual([]);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
  });
});
