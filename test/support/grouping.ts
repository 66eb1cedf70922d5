import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { TransactionHost } from '../../src/platform/database/transaction-host.js';
import {
  catalogBucketOf,
  MatchIncidentToCatalog,
} from '../../src/self-healing/catalog/match-incident/match-incident.command.js';
import { PatternIndex } from '../../src/self-healing/catalog/pattern-matcher.js';
import { extractSignature } from '../../src/self-healing/catalog/signature.js';
import type { CorpusEntry } from '../fixtures/error-corpus.js';
import type { TestApp } from './test-app.js';

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
  const filed = entries.map(
    (entry) => index.matchOrAdd(extractSignature(entry.errorType, entry.message), threshold, newId).id,
  );
  return filed.map((id) => index.resolve(id));
}

/** Incidents a relay batch files in one transaction (OUTBOX_BATCH_SIZE's default). */
export const RELAY_BATCH = 64;

/**
 * Files every message through the real matching command (`MatchIncidentToCatalog`) on the app's
 * database, as bridge 1's relay does: a batch of {@link RELAY_BATCH} incidents per transaction, its
 * catalog buckets filed concurrently, each bucket's incidents in order. Returns each message's
 * pattern as the catalog holds it at the end: a pattern merged into another stands for that one
 * (`merged_into_id`, followed to the survivor).
 */
export async function groupThroughCatalog(
  app: TestApp,
  tenantId: string,
  entries: readonly CorpusEntry[],
): Promise<string[]> {
  const tx = app.app.get(TransactionHost);
  const commands = app.app.get(CommandBus);
  const filed: string[] = new Array(entries.length);
  for (let start = 0; start < entries.length; start += RELAY_BATCH) {
    const sequences = new Map<string, number[]>();
    for (let i = start; i < Math.min(start + RELAY_BATCH, entries.length); i++) {
      const key = catalogBucketOf(tenantId, entries[i]!.errorType, entries[i]!.message);
      sequences.set(key, [...(sequences.get(key) ?? []), i]);
    }
    await tx.run(() =>
      Promise.all(
        [...sequences.values()].map(async (sequence) => {
          for (const i of sequence) {
            const { errorType, message } = entries[i]!;
            filed[i] = (
              await commands.execute(
                new MatchIncidentToCatalog({
                  tenantId,
                  incidentId: randomUUID(),
                  errorType,
                  message,
                  agentId: null,
                  capability: null,
                }),
              )
            ).patternId;
          }
        }),
      ),
    );
  }
  const rows = await app.sql<{ id: string; survivor: string }>(
    `WITH RECURSIVE chain(id, survivor) AS (
       SELECT id, id FROM failure_patterns WHERE tenant_id = $1 AND merged_into_id IS NULL
       UNION ALL
       SELECT p.id, c.survivor FROM failure_patterns p JOIN chain c ON p.merged_into_id = c.id WHERE p.tenant_id = $1)
     SELECT id, survivor FROM chain`,
    [tenantId],
  );
  const survivor = new Map(rows.map((r) => [r.id, r.survivor]));
  return filed.map((id) => survivor.get(id) ?? id);
}
