import { Injectable } from '@nestjs/common';
import { withLockTime } from '../../platform/database/lock-time.js';
import { newestFirst } from '../../platform/database/newest-first.js';
import { columnsOf, TransactionHost, type Statement } from '../../platform/database/transaction-host.js';
import type { Cursor } from '../../platform/http/cursor.js';
import type { FixAssessment } from '../learning/fix-confidence.js';

export const RECOVERY_STATUSES = ['pending_review', 'applied', 'rejected', 'expired', 'superseded'] as const;
/** `expired`: nobody reviewed it in time; `superseded`: its incident was resolved while it waited. Neither is a rejection. */
export type RecoveryStatus = (typeof RECOVERY_STATUSES)[number];

/** Why bridge 2 applied a suggestion or sent it to review (DESIGN §8: every decision carries its explanation). */
export interface RecoveryDecision {
  autoApplied: boolean;
  /** One sentence: `auto-applied: 17 of the last 18 runs verified; lower bound 0.86 ≥ 0.60`, `held: …`. */
  reason: string;
  /** Trusted, but a guardrail sent it to review. */
  heldBy: { guardrail: string; reason: string } | null;
  /** The learning rule's evidence (ADR 0014): prior, runs, reviews, weighted counts, bound. */
  evidence: FixAssessment['evidence'] & { trusted: boolean; confidence: number; lowerBound: number };
}

export interface RecoveryRow {
  id: string;
  tenant_id: string;
  source_incident_id: string;
  source_pattern_id: string;
  /** The incident's agent and capability, copied when suggested (filters). */
  agent_id: string | null;
  capability: string | null;
  playbook_id: string;
  action: string;
  steps: string[];
  params: Record<string, unknown>;
  suggestion_type: 'template' | 'generated';
  confidence: number;
  status: RecoveryStatus;
  decided_by: string | null;
  decided_at: Date | null;
  /** Why a trusted recovery waits for review instead of running: the guardrail that held it (null: not held). */
  held_by: string | null;
  /**
   * When it expires unreviewed (an approval request's `expiresAt`, DESIGN §13): set at suggestion
   * from RECOVERY_REVIEW_TTL_MS, changed by an operator; null: none (a recovery from before it
   * waits RECOVERY_REVIEW_TTL_MS from its creation).
   */
  expires_at: Date | null;
  /** Null for recoveries suggested before decisions were recorded. */
  decision: RecoveryDecision | null;
  created_at: Date;
}

export interface RecoveryFilters {
  status?: string;
  patternId?: string;
  incidentId?: string;
  agentId?: string;
  capability?: string;
  playbookId?: string;
  since?: string;
  until?: string;
}

/** Why a recovery expired, as its action and its audit entry say. */
export const expiryNote = (ttlMs: number) => `no review within ${ttlMs} ms (RECOVERY_REVIEW_TTL_MS)`;

@Injectable()
export class RecoveryRepository {
  constructor(private readonly tx: TransactionHost) {}

  /**
   * Written at commit, with the rest of a bridge-2 batch's recoveries; nothing reads it back before.
   * `review_ms`: how long it waits for review before it expires (null: no expiry), from the
   * database's clock as it is stored (its `created_at`), which the sweep and a review judge by.
   */
  insertAtCommit(
    r: Omit<RecoveryRow, 'created_at' | 'decided_at' | 'expires_at'> & { review_ms: number | null },
  ): Promise<void> {
    return this.tx.deferWrite(this.insertRecoveries, [
      r.id,
      r.tenant_id,
      r.source_incident_id,
      r.source_pattern_id,
      r.playbook_id,
      r.action,
      JSON.stringify(r.steps),
      JSON.stringify(r.params),
      r.suggestion_type,
      r.confidence,
      r.status,
      r.decided_by,
      r.agent_id,
      r.capability,
      r.held_by,
      r.decision === null ? null : JSON.stringify(r.decision),
      r.review_ms,
    ]);
  }

  private readonly insertRecoveries = (rows: unknown[][]): Statement[] => [
    {
      sql: `INSERT INTO recovery_candidates (id, tenant_id, source_incident_id, source_pattern_id, playbook_id, action, steps, params,
                                             suggestion_type, confidence, status, decided_by, agent_id, capability, held_by, decision, expires_at, decided_at)
            SELECT r.id, r.tenant_id, r.source_incident_id, r.source_pattern_id, r.playbook_id, r.action, r.steps, r.params,
                   r.suggestion_type, r.confidence, r.status, r.decided_by, r.agent_id, r.capability, r.held_by, r.decision,
                   now() + make_interval(secs => r.review_ms / 1000), CASE WHEN r.status = 'pending_review' THEN NULL ELSE now() END
              FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[],
                          $9::text[], $10::double precision[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::jsonb[],
                          $17::double precision[])
                AS r(id, tenant_id, source_incident_id, source_pattern_id, playbook_id, action, steps, params, suggestion_type, confidence, status, decided_by,
                     agent_id, capability, held_by, decision, review_ms)`,
      params: columnsOf(rows),
    },
  ];

  async find(tenantId: string, id: string): Promise<RecoveryRow | null> {
    const [row] = await this.tx.query<RecoveryRow>(
      `SELECT * FROM recovery_candidates WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return row ?? null;
  }

  /**
   * The recovery with the database's time as it is read (`read_at`), without a lock: what a dry
   * run judges its `expires_at` by, as a decision judges it by `lock`'s `locked_at`.
   */
  async findWithTime(tenantId: string, id: string): Promise<(RecoveryRow & { read_at: Date }) | null> {
    const [row] = await this.tx.query<RecoveryRow & { read_at: Date }>(
      `SELECT *, clock_timestamp() AS read_at FROM recovery_candidates WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return row ?? null;
  }

  /**
   * Locks the recovery for a decision or a new expiry, with the database's time read once the
   * lock is held (`locked_at`, withLockTime): what its `expires_at` is judged against, as the sweep
   * judges it by `now()`, whatever this host's clock says.
   */
  async lock(tenantId: string, id: string): Promise<(RecoveryRow & { locked_at: Date }) | null> {
    const [row] = await this.tx.query<RecoveryRow & { locked_at: Date }>(
      withLockTime(`SELECT * FROM recovery_candidates WHERE tenant_id = $1 AND id = $2 FOR UPDATE`),
      [tenantId, id],
    );
    return row ?? null;
  }

  async decide(id: string, status: 'applied' | 'rejected', actor: string): Promise<RecoveryRow> {
    const [row] = await this.tx.query<RecoveryRow>(
      `UPDATE recovery_candidates SET status = $2, decided_by = $3, decided_at = now() WHERE id = $1 RETURNING *`,
      [id, status, actor],
    );
    return row;
  }

  /** Written at commit (after the recoveries deferred before it), all of the transaction's in one statement. */
  recordAction(r: {
    tenantId: string;
    recoveryId: string;
    action: 'applied' | 'rejected';
    automatic: boolean;
    actor: string;
    note?: string | null;
    id: string;
  }): Promise<void> {
    return this.tx.deferWrite(this.insertActions, [
      r.id,
      r.tenantId,
      r.recoveryId,
      r.action,
      r.automatic,
      r.actor,
      r.note ?? null,
    ]);
  }

  private readonly insertActions = (rows: unknown[][]): Statement[] => [
    {
      sql: `INSERT INTO recovery_actions (id, tenant_id, recovery_id, action, automatic, actor, note)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::boolean[], $6::text[], $7::text[])`,
      params: columnsOf(rows),
    },
  ];

  /**
   * Expires what waits for review past its `expires_at` (or, without one, longer than `ttlMs`;
   * 0: never) and records why, in one statement. Safe on several replicas at once: a row another
   * sweep just expired no longer matches.
   */
  async expireReviews(ttlMs: number, limit = 500): Promise<Array<{ id: string; tenant_id: string; note: string }>> {
    return this.tx.query<{ id: string; tenant_id: string; note: string }>(
      `WITH due AS (
         SELECT id FROM recovery_candidates
          WHERE status = 'pending_review'
            AND (expires_at <= now()
                 OR (expires_at IS NULL AND $1::double precision > 0 AND created_at < now() - make_interval(secs => $1::double precision / 1000)))
          ORDER BY coalesce(expires_at, created_at) LIMIT $2 FOR UPDATE SKIP LOCKED),
       expired AS (
         UPDATE recovery_candidates c SET status = 'expired', decided_by = 'review expiry', decided_at = now()
           FROM due WHERE c.id = due.id
         RETURNING c.id, c.tenant_id,
                   CASE WHEN c.expires_at IS NULL THEN $3
                        ELSE 'no review by ' || to_char(c.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || ' (expiresAt)' END AS note)
       INSERT INTO recovery_actions (id, tenant_id, recovery_id, action, automatic, actor, note)
       SELECT gen_random_uuid(), tenant_id, id, 'expired', true, 'review expiry', note FROM expired
       RETURNING recovery_id AS id, tenant_id, note`,
      [ttlMs, limit, expiryNote(ttlMs)],
    );
  }

  /** Sets when a recovery waiting for review expires; null when it no longer waits for review. */
  async setExpiry(tenantId: string, id: string, expiresAt: Date): Promise<RecoveryRow | null> {
    const [row] = await this.tx.query<RecoveryRow>(
      `UPDATE recovery_candidates SET expires_at = $3 WHERE tenant_id = $1 AND id = $2 AND status = 'pending_review' RETURNING *`,
      [tenantId, id, expiresAt],
    );
    return row ?? null;
  }

  /**
   * Supersedes what still waits for review on a resolved incident, recording why, in one
   * statement; returns the ids. A recovery decided meanwhile is left as it is.
   */
  async supersedeForIncident(tenantId: string, incidentId: string, why: string): Promise<string[]> {
    const rows = await this.tx.query<{ id: string }>(
      `WITH superseded AS (
         UPDATE recovery_candidates SET status = 'superseded', decided_by = 'incident resolved', decided_at = now()
          WHERE tenant_id = $1 AND source_incident_id = $2 AND status = 'pending_review' RETURNING id, tenant_id)
       INSERT INTO recovery_actions (id, tenant_id, recovery_id, action, automatic, actor, note)
       SELECT gen_random_uuid(), tenant_id, id, 'superseded', true, 'incident resolved', $3 FROM superseded
       RETURNING recovery_id AS id`,
      [tenantId, incidentId, why],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Every recovery of the incident, oldest first, uncapped: the evidence export lists them all. A
   * few per incident in practice (one per pattern match), as recovery_runs' listOfIncident.
   */
  listOfIncident(tenantId: string, incidentId: string): Promise<RecoveryRow[]> {
    return this.tx.query<RecoveryRow>(
      `SELECT * FROM recovery_candidates WHERE tenant_id = $1 AND source_incident_id = $2 ORDER BY created_at, id`,
      [tenantId, incidentId],
    );
  }

  async list(tenantId: string, f: RecoveryFilters, cursor: Cursor | null, limit: number): Promise<RecoveryRow[]> {
    const q = newestFirst({
      table: 'recovery_candidates',
      tenantId,
      conditions: [
        ['status = ?', f.status || undefined],
        ['source_pattern_id = ?', f.patternId || undefined],
        ['source_incident_id = ?', f.incidentId || undefined],
        ['agent_id = ?', f.agentId || undefined],
        ['capability = ?', f.capability || undefined],
        ['playbook_id = ?', f.playbookId || undefined],
        ['created_at >= ?', f.since || undefined],
        ['created_at < ?', f.until || undefined],
      ],
      cursor,
      limit,
    });
    return this.tx.query<RecoveryRow>(q.sql, q.params);
  }
}
