import { Injectable } from '@nestjs/common';
import { newestFirst } from '../../platform/database/newest-first.js';
import { TransactionHost, type Statement } from '../../platform/database/transaction-host.js';
import type { Cursor } from '../../platform/http/cursor.js';
import { uuidv7 } from '../../platform/ids/uuid-v7.js';
import type { RecoveryTemplate } from '../recovery/recovery-generator.js';
import type { PatternCandidate } from './pattern-matcher.js';
import type { PatternHistoryView } from './pattern.view.js';

export interface PatternRow {
  id: string;
  tenant_id: string;
  error_type: string;
  shape_key: string;
  template: string;
  template_tokens: string[];
  occurrence_count: number;
  first_incident_id: string | null;
  last_seen_at: Date;
  recovery_template: RecoveryTemplate | null;
  auto_apply_recovery: boolean;
  affected_agents: string[];
  capabilities: string[];
  merged_into_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * A pattern of a bucket that the current transaction holds locked: read once, matched and
 * changed in memory by every incident of the bucket the transaction files, and written once,
 * with its final state, at commit.
 */
export interface HeldPattern extends PatternCandidate {
  tenantId: string;
  errorType: string;
  shapeKey: string;
  occurrenceCount: number;
  /** Founded in this transaction (written as an insert). */
  isNew: boolean;
  firstIncidentId: string | null;
  /** As stored, before this transaction. */
  agents: readonly string[];
  capabilities: readonly string[];
  /** What this transaction adds. */
  added: number;
  newAgents: string[];
  newCapabilities: string[];
  /** Set when this transaction merged the pattern into another. */
  mergedInto: string | null;
  /** Its write is queued for the commit. */
  queued: boolean;
}

/** The patterns the current transaction has read with findOnce, by `tenant|id`. */
const READ_ONCE = Symbol('patterns read once');

/** The patterns the current transaction resolved to their survivor (survivorOnce), by `tenant|id`. */
const SURVIVORS = Symbol('surviving patterns');

/** The buckets the current transaction holds, by `tenant|errorType|shapeKey`. */
const HELD_BUCKETS = Symbol('held pattern buckets');

/** Adds `value` to `added` unless it is null or already stored or added. */
const addNew = (added: string[], value: string | null, stored: readonly string[]) => {
  if (value !== null && !stored.includes(value) && !added.includes(value)) added.push(value);
};

/** The merges of a transaction, written with its commit (after the patterns they name). */
const writeHistory = (rows: unknown[][]): Statement[] =>
  rows.map((params) => ({
    sql: `INSERT INTO failure_pattern_history (id, tenant_id, pattern_id, event, merged_pattern_id, template_before, template_after, occurrences_moved, incident_id)
          VALUES ($1, $2, $3, 'merged', $4, $5, $6, $7, $8)`,
    params,
  }));

/** One statement per held pattern, with its state at commit. */
const writeHeldPatterns = (patterns: HeldPattern[]): Statement[] =>
  patterns.map((p) =>
    p.isNew
      ? {
          sql: `INSERT INTO failure_patterns (id, tenant_id, error_type, shape_key, template, template_tokens, occurrence_count, first_incident_id, affected_agents, capabilities, merged_into_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          params: [
            p.id,
            p.tenantId,
            p.errorType,
            p.shapeKey,
            p.templateTokens.join(' '),
            p.templateTokens,
            p.added,
            p.firstIncidentId,
            p.newAgents,
            p.newCapabilities,
            p.mergedInto,
          ],
        }
      : {
          // The lists only grow, in the order first seen; the bucket lock kept them as read.
          sql: `UPDATE failure_patterns
                   SET template_tokens = $2, template = $3, occurrence_count = occurrence_count + $4, last_seen_at = now(), updated_at = now(),
                       affected_agents = affected_agents || $5::text[], capabilities = capabilities || $6::text[],
                       merged_into_id = coalesce($7, merged_into_id)
                 WHERE id = $1`,
          params: [
            p.id,
            p.templateTokens,
            p.templateTokens.join(' '),
            p.added,
            p.newAgents,
            p.newCapabilities,
            p.mergedInto,
          ],
        },
  );

@Injectable()
export class FailurePatternRepository {
  constructor(private readonly tx: TransactionHost) {}

  /**
   * One (tenant, error type, shape) bucket's patterns, locked until the transaction ends, so two
   * concurrent incidents with the same new signature create one pattern. The first call in a
   * transaction sends the lock and the read together (PostgreSQL runs the read once the lock is
   * granted, with a snapshot that sees whatever its previous holder committed); later calls for
   * the bucket return the same patterns, with this transaction's changes, without a round trip.
   */
  lockedBucket(tenantId: string, errorType: string, shapeKey: string): Promise<HeldPattern[]> {
    const key = `${tenantId}|${errorType}|${shapeKey}`;
    return this.tx.once(HELD_BUCKETS, key, () => this.readLocked(tenantId, errorType, shapeKey, key));
  }

  private async readLocked(tenantId: string, errorType: string, shapeKey: string, key: string): Promise<HeldPattern[]> {
    const [, rows] = await Promise.all([
      this.tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [key]),
      this.bucketRows(tenantId, errorType, shapeKey),
    ]);
    return rows.map((r) => ({
      id: r.id,
      tenantId,
      errorType,
      shapeKey,
      templateTokens: r.template_tokens,
      occurrenceCount: r.occurrence_count,
      isNew: false,
      firstIncidentId: null,
      agents: r.affected_agents,
      capabilities: r.capabilities,
      added: 0,
      newAgents: [],
      newCapabilities: [],
      mergedInto: null,
      queued: false,
    }));
  }

  /** One bucket's candidates, through the (tenant_id, error_type, shape_key) index; no lock (dry runs). */
  async bucket(tenantId: string, errorType: string, shapeKey: string): Promise<PatternCandidate[]> {
    const rows = await this.bucketRows(tenantId, errorType, shapeKey);
    return rows.map((r) => ({ id: r.id, templateTokens: r.template_tokens, occurrenceCount: r.occurrence_count }));
  }

  private bucketRows(tenantId: string, errorType: string, shapeKey: string) {
    return this.tx.query<
      Pick<PatternRow, 'id' | 'template_tokens' | 'occurrence_count' | 'affected_agents' | 'capabilities'>
    >(
      `SELECT id, template_tokens, occurrence_count, affected_agents, capabilities FROM failure_patterns WHERE tenant_id = $1 AND error_type = $2 AND shape_key = $3 AND merged_into_id IS NULL`,
      [tenantId, errorType, shapeKey],
    );
  }

  /** Founds a pattern in a bucket the transaction holds; written at commit. */
  async found(
    bucket: HeldPattern[],
    p: {
      id: string;
      tenantId: string;
      errorType: string;
      shapeKey: string;
      tokens: string[];
      incidentId: string;
      agentId: string | null;
      capability: string | null;
    },
  ): Promise<HeldPattern> {
    const pattern: HeldPattern = {
      id: p.id,
      tenantId: p.tenantId,
      errorType: p.errorType,
      shapeKey: p.shapeKey,
      templateTokens: p.tokens,
      occurrenceCount: 0,
      isNew: true,
      firstIncidentId: p.incidentId,
      agents: [],
      capabilities: [],
      added: 0,
      newAgents: [],
      newCapabilities: [],
      mergedInto: null,
      queued: false,
    };
    bucket.push(pattern);
    await this.recordOccurrence(pattern, p.tokens, p.agentId, p.capability);
    return pattern;
  }

  /** Records one more occurrence of a held pattern, with its generalised template; written at commit. */
  async recordOccurrence(
    pattern: HeldPattern,
    tokens: string[],
    agentId: string | null,
    capability: string | null,
  ): Promise<void> {
    pattern.templateTokens = tokens;
    pattern.occurrenceCount += 1;
    pattern.added += 1;
    addNew(pattern.newAgents, agentId, pattern.agents);
    addNew(pattern.newCapabilities, capability, pattern.capabilities);
    await this.queue(pattern);
  }

  private async queue(pattern: HeldPattern): Promise<void> {
    if (pattern.queued) return;
    pattern.queued = true;
    await this.tx.deferWrite(writeHeldPatterns, pattern);
  }

  /**
   * Merges held patterns of a bucket into `survivor` (the oldest): its template becomes
   * `templateTokens`, it takes over their occurrence counts, agents, capabilities and recoveries,
   * and each merge is a row of its history. The absorbed patterns leave the bucket and are kept,
   * naming the survivor. Incidents and policies belong to other pillars: the caller moves those.
   */
  async absorb(
    bucket: HeldPattern[],
    survivor: HeldPattern,
    absorbed: HeldPattern[],
    templateTokens: string[],
    incidentId: string,
  ): Promise<void> {
    // The stored ones are locked first (FOR UPDATE), against the bridges that read them FOR KEY SHARE
    // (survivorOnce) and a PATCH: what those wrote under their ids is committed before it moves
    // below, and whatever comes after this commit finds them merged and works on the survivor.
    const stored = absorbed.filter((p) => !p.isNew).map((p) => p.id);
    if (stored.length > 0)
      await this.tx.query(
        `SELECT id FROM failure_patterns WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE`,
        [survivor.tenantId, stored],
      );
    const before = survivor.templateTokens.join(' ');
    survivor.templateTokens = templateTokens;
    for (const p of absorbed) {
      survivor.occurrenceCount += p.occurrenceCount;
      survivor.added += p.occurrenceCount;
      for (const agent of [...p.agents, ...p.newAgents]) addNew(survivor.newAgents, agent, survivor.agents);
      for (const capability of [...p.capabilities, ...p.newCapabilities])
        addNew(survivor.newCapabilities, capability, survivor.capabilities);
      p.mergedInto = survivor.id;
      bucket.splice(bucket.indexOf(p), 1);
      await this.queue(p);
      await this.tx.deferWrite(writeHistory, [
        uuidv7(),
        survivor.tenantId,
        survivor.id,
        p.id,
        before,
        templateTokens.join(' '),
        p.occurrenceCount,
        incidentId,
      ]);
    }
    await this.queue(survivor);
    // A recovery template set on a merged pattern (PATCH) carries over when the survivor has none.
    await this.tx.query(
      `UPDATE failure_patterns s SET recovery_template = a.recovery_template, auto_apply_recovery = a.auto_apply_recovery
         FROM (SELECT recovery_template, auto_apply_recovery FROM failure_patterns
                WHERE tenant_id = $1 AND id = ANY($3::uuid[]) AND recovery_template IS NOT NULL ORDER BY id LIMIT 1) a
        WHERE s.tenant_id = $1 AND s.id = $2 AND s.recovery_template IS NULL`,
      [survivor.tenantId, survivor.id, absorbed.map((p) => p.id)],
    );
    // Recoveries are written by other transactions (bridge 2): this one has none of them deferred.
    // Sent now, before the caller moves the runs: an approval holding one of these rows makes the
    // merge wait here until its run is committed, so the run moves too (ADR 0012).
    await this.tx.query(
      `UPDATE recovery_candidates SET source_pattern_id = $2 WHERE tenant_id = $1 AND source_pattern_id = ANY($3::uuid[])`,
      [survivor.tenantId, survivor.id, absorbed.map((p) => p.id)],
    );
  }

  async history(tenantId: string, patternId: string): Promise<PatternHistoryView[]> {
    const rows = await this.tx.query<{
      event: 'merged';
      merged_pattern_id: string | null;
      template_before: string;
      template_after: string;
      occurrences_moved: number;
      incident_id: string | null;
      created_at: Date;
    }>(
      `SELECT event, merged_pattern_id, template_before, template_after, occurrences_moved, incident_id, created_at
         FROM failure_pattern_history WHERE tenant_id = $1 AND pattern_id = $2 ORDER BY created_at, id`,
      [tenantId, patternId],
    );
    return rows.map((r) => ({
      event: r.event,
      mergedPatternId: r.merged_pattern_id,
      templateBefore: r.template_before,
      templateAfter: r.template_after,
      occurrencesMoved: r.occurrences_moved,
      incidentId: r.incident_id,
      at: r.created_at.toISOString(),
    }));
  }

  /** The templates of these patterns (pages that name patterns show their template). */
  async templates(tenantId: string, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.tx.query<{ id: string; template: string }>(
      `SELECT id, template FROM failure_patterns WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [tenantId, [...new Set(ids)]],
    );
    return new Map(rows.map((r) => [r.id, r.template]));
  }

  async find(tenantId: string, id: string): Promise<PatternRow | null> {
    const [row] = await this.tx.query<PatternRow>(`SELECT * FROM failure_patterns WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
    ]);
    return row ?? null;
  }

  /**
   * find, at most once per pattern per transaction: the deliveries of one outbox batch that
   * name a pattern share one read (and see it as it was then). Only for transactions that do not
   * change the pattern themselves.
   */
  findOnce(tenantId: string, id: string): Promise<PatternRow | null> {
    if (!this.tx.inTransaction) return this.find(tenantId, id);
    return this.tx.once(READ_ONCE, `${tenantId}|${id}`, () => this.find(tenantId, id));
  }

  /**
   * The pattern that `id` stands for now: itself, or the one it was merged into (to the end of the
   * chain: a survivor may be absorbed later), each read FOR KEY SHARE until the transaction ends.
   * For work that takes a pattern id from an event written before a merge (a bridge): a
   * merge locks what it absorbs FOR UPDATE first (absorb), so either this waits for the merge and
   * reads the survivor, or the merge waits for this transaction and then moves what it wrote. The
   * lock does not hold up bridge 1's counting updates (FOR NO KEY UPDATE). Once per pattern per
   * transaction; a pattern not merged costs the one read findOnce would make, and findOnce of
   * the survivor afterwards none.
   */
  survivorOnce(tenantId: string, id: string): Promise<PatternRow | null> {
    if (!this.tx.inTransaction) return this.tx.run(() => this.survivorOnce(tenantId, id));
    return this.tx.once(SURVIVORS, `${tenantId}|${id}`, async () => {
      const seen = new Set<string>();
      let row = await this.findShared(tenantId, id);
      while (row?.merged_into_id) {
        seen.add(row.id);
        if (seen.has(row.merged_into_id)) throw new Error(`pattern ${id}: merged_into_id loops at ${row.id}`);
        row = await this.findShared(tenantId, row.merged_into_id);
      }
      if (row) {
        const found = row;
        void this.tx.once(SURVIVORS, `${tenantId}|${found.id}`, () => Promise.resolve(found));
        this.tx.forget(READ_ONCE, `${tenantId}|${found.id}`);
        void this.tx.once(READ_ONCE, `${tenantId}|${found.id}`, () => Promise.resolve(found));
      }
      return row;
    });
  }

  private async findShared(tenantId: string, id: string): Promise<PatternRow | null> {
    const [row] = await this.tx.query<PatternRow>(
      `SELECT * FROM failure_patterns WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE`,
      [tenantId, id],
    );
    return row ?? null;
  }

  list(tenantId: string, filters: { errorType?: string }, cursor: Cursor | null, limit: number): Promise<PatternRow[]> {
    const { sql, params } = newestFirst({
      table: 'failure_patterns',
      tenantId,
      conditions: [
        // Merged patterns are history: their ids still resolve (GET by id), they are not listed.
        ['merged_into_id IS NULL', true],
        ['error_type = ?', filters.errorType ? filters.errorType.trim().toLowerCase() : undefined],
      ],
      cursor,
      limit,
      timeColumn: 'last_seen_at',
    });
    return this.tx.query<PatternRow>(sql, params);
  }

  /**
   * The pattern, locked until the transaction ends against a merge (absorb locks FOR UPDATE) and
   * another change, for a change of its settings: one made before a merge is what the merge
   * carries over, and one after finds the pattern merged. FOR NO KEY UPDATE, so it does not hold
   * up the bridges reading it FOR KEY SHARE.
   */
  async lockForChange(tenantId: string, id: string): Promise<PatternRow | null> {
    const [row] = await this.tx.query<PatternRow>(
      `SELECT * FROM failure_patterns WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`,
      [tenantId, id],
    );
    return row ?? null;
  }

  /** Null when there is no such pattern, or it was merged (its settings are its survivor's now). */
  async update(
    tenantId: string,
    id: string,
    changes: { recoveryTemplate?: RecoveryTemplate | null; autoApplyRecovery?: boolean },
  ): Promise<PatternRow | null> {
    // A findOnce later in this transaction must not return the row as it was.
    this.tx.forget(READ_ONCE, `${tenantId}|${id}`);
    this.tx.forget(SURVIVORS, `${tenantId}|${id}`);
    const [row] = await this.tx.query<PatternRow>(
      `UPDATE failure_patterns
          SET recovery_template = CASE WHEN $3 THEN $4::jsonb ELSE recovery_template END,
              auto_apply_recovery = coalesce($5, auto_apply_recovery), updated_at = now()
        WHERE tenant_id = $1 AND id = $2 AND merged_into_id IS NULL RETURNING *`,
      [
        tenantId,
        id,
        changes.recoveryTemplate !== undefined,
        // null is SQL NULL, "no template" (a merge carries one over only to a survivor whose column IS NULL), never JSON null.
        changes.recoveryTemplate == null ? null : JSON.stringify(changes.recoveryTemplate),
        changes.autoApplyRecovery ?? null,
      ],
    );
    return row ?? null;
  }
}
