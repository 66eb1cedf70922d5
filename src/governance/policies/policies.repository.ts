import { Injectable } from '@nestjs/common';
import { newestFirst } from '../../platform/database/newest-first.js';
import { NotifyBatcher } from '../../platform/database/notify-batcher.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import type { Cursor } from '../../platform/http/cursor.js';
import type { GeneratedPolicy } from './policy-generator.js';
import type { PolicyAction, PolicyCategory, PolicyRuleStatus, PolicyScope, PolicySourceType } from './policy.view.js';

export interface PolicyRow {
  id: string;
  tenant_id: string;
  name: string;
  description: string;
  category: PolicyCategory;
  action: PolicyAction;
  scope: PolicyScope;
  scope_agent_id: string | null;
  condition: string;
  status: PolicyRuleStatus;
  source_type: PolicySourceType;
  source_pattern_id: string | null;
  source_recovery_id: string | null;
  generation_confidence: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface PolicyFilters {
  status?: string;
  sourceType?: string;
  sourcePatternId?: string;
}

export type NewPolicyRow = Omit<PolicyRow, 'created_at' | 'updated_at'>;

export interface ActivePeriodRow {
  policy_id: string;
  source_pattern_id: string;
  active_from: Date;
  active_until: Date | null;
}

/** NOTIFY channel: payload = the tenant whose policies changed, '*' when a global policy changed. */
export const POLICIES_CHANGED_CHANNEL = 'policies_changed';
export const ALL_TENANTS = '*';

/**
 * The statement (which returns policy rows, `RETURNING *`) with, in the same statement, a row of
 * `policy_status_changes` for each policy it returns (`when`: those whose status it changed) at
 * the statement's start: the database's clock, as an incident's `created_at` (its receipt time),
 * which loop health compares with it, is. Not `now()`: bridge 3 changes a status inside a batch's
 * transaction, which may have begun well before it took the policy's lock.
 */
const recordingStatus = (statement: string, when = 'true') =>
  `WITH p AS (${statement}),
        changed AS (INSERT INTO policy_status_changes (tenant_id, policy_id, status, changed_at)
                    SELECT tenant_id, id, status, statement_timestamp() FROM p WHERE ${when})
   SELECT * FROM p`;

/** The columns the policy engine indexes. */
export interface IndexablePolicyRow {
  id: string;
  tenant_id: string;
  action: PolicyRow['action'];
  scope: PolicyRow['scope'];
  scope_agent_id: string | null;
  condition: string;
  status: PolicyRow['status'];
}

@Injectable()
export class PoliciesRepository {
  constructor(
    private readonly tx: TransactionHost,
    private readonly notifier: NotifyBatcher,
  ) {}

  async insert(row: NewPolicyRow): Promise<PolicyRow> {
    const [created] = await this.tx.query<PolicyRow>(
      recordingStatus(
        `INSERT INTO policy_rules (id, tenant_id, name, description, category, action, scope, scope_agent_id, condition, status,
                                   source_type, source_pattern_id, source_recovery_id, generation_confidence)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
      ),
      [
        row.id,
        row.tenant_id,
        row.name,
        row.description,
        row.category,
        row.action,
        row.scope,
        row.scope_agent_id,
        row.condition,
        row.status,
        row.source_type,
        row.source_pattern_id,
        row.source_recovery_id,
        row.generation_confidence,
      ],
    );
    return created;
  }

  /**
   * The pattern's policy, read and locked as the update bridge 3 then makes takes it (`FOR NO KEY
   * UPDATE`): a concurrent disable, activation or regeneration either commits first, and is what
   * this returns (the latest version, not the statement's snapshot), or waits for this
   * transaction. Bridge 4's key share lock is not in the way. Null: the pattern has no policy yet.
   */
  async lockForPattern(tenantId: string, patternId: string): Promise<PolicyRow | null> {
    const [row] = await this.tx.query<PolicyRow>(
      `SELECT * FROM policy_rules WHERE tenant_id = $1 AND source_pattern_id = $2 FOR NO KEY UPDATE`,
      [tenantId, patternId],
    );
    return row ?? null;
  }

  /**
   * Stores the pattern's first generated policy, or nothing (null) when the pattern has one by
   * now: a concurrent insert for the same pattern (another replica) holds the unique index
   * `uq_policy_per_pattern` and this waits for it to commit.
   */
  async insertGenerated(
    id: string,
    tenantId: string,
    patternId: string,
    recoveryId: string,
    policy: GeneratedPolicy,
  ): Promise<PolicyRow | null> {
    const [row] = await this.tx.query<PolicyRow>(
      recordingStatus(
        `INSERT INTO policy_rules (id, tenant_id, name, description, category, action, scope, scope_agent_id, condition, status,
                                   source_type, source_pattern_id, source_recovery_id, generation_confidence)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'recovery', $11, $12, $13)
         ON CONFLICT (tenant_id, source_pattern_id) WHERE source_pattern_id IS NOT NULL DO NOTHING
         RETURNING *`,
      ),
      [
        id,
        tenantId,
        policy.name,
        policy.description,
        policy.category,
        policy.action,
        policy.scope,
        policy.scopeAgentId,
        policy.condition,
        policy.status,
        patternId,
        recoveryId,
        policy.confidence,
      ],
    );
    return row ?? null;
  }

  /**
   * Rewrites a generated policy from a later recovery of its pattern, with the status the caller
   * decided; `previous`, the status it had (read under the row's lock), says whether that is a change.
   */
  async updateGenerated(
    tenantId: string,
    id: string,
    recoveryId: string,
    policy: GeneratedPolicy,
    status: PolicyRow['status'],
    previous: PolicyRow['status'],
  ): Promise<PolicyRow> {
    const [row] = await this.tx.query<PolicyRow>(
      recordingStatus(
        `UPDATE policy_rules SET name = $3, description = $4, category = $5, action = $6, scope = $7, scope_agent_id = $8,
                condition = $9, status = $10, source_recovery_id = $11, generation_confidence = $12, updated_at = now()
          WHERE tenant_id = $1 AND id = $2
         RETURNING *`,
        'p.status <> $13',
      ),
      [
        tenantId,
        id,
        policy.name,
        policy.description,
        policy.category,
        policy.action,
        policy.scope,
        policy.scopeAgentId,
        policy.condition,
        status,
        recoveryId,
        policy.confidence,
        previous,
      ],
    );
    return row;
  }

  /**
   * Tells every replica (on commit; nothing if the transaction rolls back) that the tenant's
   * policies changed, and all tenants when a global policy did, so their engine indexes reload.
   */
  notifyChanged(tenantId: string, global: boolean): void {
    this.notifier.notifyAfterCommit(POLICIES_CHANGED_CHANNEL, tenantId);
    if (global) this.notifier.notifyAfterCommit(POLICIES_CHANGED_CHANNEL, ALL_TENANTS);
  }

  /**
   * Everything the engine may apply to the tenant's requests: its own active and draft
   * policies, and every tenant's global ones. Outside any ambient transaction.
   */
  async loadForIndex(tenantId: string): Promise<IndexablePolicyRow[]> {
    return this.tx.queryOutside<IndexablePolicyRow>(
      `SELECT id, tenant_id, action, scope, scope_agent_id, condition, status FROM policy_rules
       WHERE status IN ('active', 'draft') AND (tenant_id = $1 OR scope = 'global')
       ORDER BY created_at, id`,
      [tenantId],
    );
  }

  /** The policy generated for a pattern (one per pattern), or null. */
  async findBySourcePattern(tenantId: string, patternId: string): Promise<PolicyRow | null> {
    const [row] = await this.tx.query<PolicyRow>(
      `SELECT * FROM policy_rules WHERE tenant_id = $1 AND source_pattern_id = $2`,
      [tenantId, patternId],
    );
    return row ?? null;
  }

  /** See MovePatternPolicy: the oldest policy of `from` moves to `to` unless `to` has one. */
  async moveSourcePattern(tenantId: string, from: string[], to: string): Promise<string | null> {
    const [row] = await this.tx.query<{ id: string }>(
      `UPDATE policy_rules SET source_pattern_id = $2, updated_at = now()
        WHERE id = (SELECT id FROM policy_rules WHERE tenant_id = $1 AND source_pattern_id = ANY($3::uuid[]) ORDER BY created_at, id LIMIT 1)
          AND NOT EXISTS (SELECT 1 FROM policy_rules WHERE tenant_id = $1 AND source_pattern_id = $2)
        RETURNING id`,
      [tenantId, to, from],
    );
    return row?.id ?? null;
  }

  async find(tenantId: string, id: string): Promise<PolicyRow | null> {
    const [row] = await this.tx.query<PolicyRow>(`SELECT * FROM policy_rules WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
    ]);
    return row ?? null;
  }

  /**
   * Reads the policy and locks it for the rest of the transaction: `update` for a status
   * change, `key share` for work that depends on the status (writing its routing adjustments),
   * so a concurrent disable or activation either waits for that work or is seen by it. A key
   * share lock does not conflict with the plain update bridge 3 makes on every incident, so
   * bridges 3 and 4 never wait for each other.
   */
  async lock(tenantId: string, id: string, mode: 'update' | 'key share'): Promise<PolicyRow | null> {
    const [row] = await this.tx.query<PolicyRow>(
      `SELECT * FROM policy_rules WHERE tenant_id = $1 AND id = $2 FOR ${mode === 'update' ? 'UPDATE' : 'KEY SHARE'}`,
      [tenantId, id],
    );
    return row ?? null;
  }

  /** Changes the policy's status (the caller has checked, under the row's lock, that it is a change) and records it. */
  async setStatus(tenantId: string, id: string, status: PolicyRow['status']): Promise<PolicyRow> {
    const [row] = await this.tx.query<PolicyRow>(
      recordingStatus(
        `UPDATE policy_rules SET status = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING *`,
      ),
      [tenantId, id, status],
    );
    return row;
  }

  /**
   * The periods in which the tenant's pattern policies were active that overlap [from, until): from
   * each change to `active` to the policy's next status change (null: active still), with the
   * pattern each policy belongs to now. Through the history's (tenant, policy, time) index.
   */
  async activePeriods(tenantId: string, from: Date, until: Date): Promise<ActivePeriodRow[]> {
    return this.tx.query<ActivePeriodRow>(
      `WITH c AS (
         SELECT policy_id, status, changed_at AS active_from,
                lead(changed_at) OVER (PARTITION BY policy_id ORDER BY changed_at, id) AS active_until
           FROM policy_status_changes WHERE tenant_id = $1)
       SELECT c.policy_id, p.source_pattern_id, c.active_from, c.active_until
         FROM c JOIN policy_rules p ON p.id = c.policy_id
        WHERE c.status = 'active' AND p.source_pattern_id IS NOT NULL
          AND c.active_from < $3 AND (c.active_until IS NULL OR c.active_until > $2)
        ORDER BY c.policy_id, c.active_from`,
      [tenantId, from, until],
    );
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(tenantId: string, filters: PolicyFilters, cursor: Cursor | null, limit: number): Promise<PolicyRow[]> {
    const q = newestFirst({
      table: 'policy_rules',
      tenantId,
      conditions: [
        ['status = ?', filters.status || undefined],
        ['source_type = ?', filters.sourceType || undefined],
        ['source_pattern_id = ?', filters.sourcePatternId || undefined],
      ],
      cursor,
      limit,
    });
    return this.tx.query<PolicyRow>(q.sql, q.params);
  }

  /** Those of the tenant's policies `ids` (uuids) that are in `status`, newest first. */
  findWithStatus(tenantId: string, ids: readonly string[], status: PolicyRow['status']): Promise<PolicyRow[]> {
    return this.tx.query<PolicyRow>(
      `SELECT * FROM policy_rules WHERE tenant_id = $1 AND id = ANY ($2::uuid[]) AND status = $3
        ORDER BY created_at DESC, id DESC`,
      [tenantId, ids, status],
    );
  }

  /** The tenant's own policies in one status (through idx_policies_tenant_status). */
  async countWithStatus(tenantId: string, status: PolicyRow['status']): Promise<number> {
    const [row] = await this.tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM policy_rules WHERE tenant_id = $1 AND status = $2`,
      [tenantId, status],
    );
    return row.n;
  }
}
