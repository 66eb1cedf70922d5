import { PatternIndex } from '../../src/self-healing/catalog/pattern-matcher.js';
import { extractSignature } from '../../src/self-healing/catalog/signature.js';
import type { CorpusEntry } from '../fixtures/error-corpus.js';

export interface GroupingResult {
  accuracy: number;
  /** Predicted groups that hold messages of more than one template. */
  mergedGroups: string[][];
}

/**
 * Grouping accuracy as in Loghub / Drain: a message counts as correct only if its predicted
 * group holds exactly the messages of its true template — no more (merge), no fewer (split).
 */
export function groupingAccuracy(entries: readonly CorpusEntry[], predicted: readonly string[]): GroupingResult {
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

/**
 * Files every message, in order, through the real matcher (one generic configuration:
 * threshold 0.8) and returns each message's pattern as it stands at the end: a pattern that
 * was merged into an older one stands for that one, as the catalog moves its incidents there.
 */
export function groupCorpus(entries: readonly CorpusEntry[], threshold = 0.8): string[] {
  const index = new PatternIndex();
  let nextId = 0;
  const newId = () => `p${String(++nextId).padStart(6, '0')}`;
  const filed = entries.map((entry) => index.matchOrAdd(extractSignature(entry.errorType, entry.message), threshold, newId).id);
  return filed.map((id) => index.resolve(id));
}
