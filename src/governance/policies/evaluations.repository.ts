import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import type { Cursor } from '../../platform/http/cursor.js';
import type { PolicyAction } from './policy-generator.js';

export interface EvaluationRow {
  id: string;
  tenant_id: string;
  agent_id: string | null;
  capability: string | null;
  context: Record<string, unknown>;
  decision: string;
  matched: Array<{ policyId: string; action: PolicyAction; status: string }>;
  matched_policy_ids: string[];
  kill_switch: boolean;
  created_at: Date;
}

export type NewEvaluationRow = Omit<EvaluationRow, 'created_at' | 'tenant_id' | 'matched_policy_ids'>;

export interface EvaluationFilters {
  agentId?: string;
  /** Evaluations in which any of these policies matched (uses the GIN index). */
  policyIds?: string[];
  /** Inclusive lower bound on created_at (ISO 8601). */
  since?: string;
  /** Exclusive upper bound on created_at (ISO 8601). */
  until?: string;
}

/** Policy decisions: every evaluation (HTTP or a routing candidate) is recorded here. */
@Injectable()
export class EvaluationsRepository {
  constructor(private readonly tx: TransactionHost) {}

  /** One multi-row insert; joins the ambient transaction. */
  async insert(tenantId: string, rows: NewEvaluationRow[]): Promise<void> {
    if (rows.length === 0) return;
    const params: unknown[] = [tenantId];
    const values = rows.map((r) => {
      params.push(
        r.id,
        r.agent_id,
        r.capability,
        JSON.stringify(r.context ?? {}),
        r.decision,
        JSON.stringify(r.matched),
        [...new Set(r.matched.map((m) => m.policyId))],
        r.kill_switch,
      );
      const p = params.length;
      return `($${p - 7}::uuid, $1, $${p - 6}, $${p - 5}, $${p - 4}::jsonb, $${p - 3}, $${p - 2}::jsonb, $${p - 1}::uuid[], $${p})`;
    });
    await this.tx.query(
      `INSERT INTO policy_evaluations (id, tenant_id, agent_id, capability, context, decision, matched, matched_policy_ids, kill_switch)
       VALUES ${values.join(', ')}`,
      params,
    );
  }

  /**
   * The cursor of a row, with created_at to the microsecond: the shared `encodeCursor` takes a
   * Date (milliseconds), which would skip rows of the same millisecond, and the evaluations of
   * one routing decision share one created_at.
   */
  static cursorOf(row: { cursor_at: string; id: string }): string {
    return Buffer.from(JSON.stringify({ at: row.cursor_at, id: row.id })).toString('base64url');
  }

  /** Keyset-paginated on (created_at, id): newest first by default, oldest first with `order: 'asc'`. */
  async list(
    tenantId: string,
    filters: EvaluationFilters,
    cursor: Cursor | null,
    limit: number,
    order: 'asc' | 'desc' = 'desc',
  ): Promise<Array<EvaluationRow & { cursor_at: string }>> {
    const where = ['tenant_id = $1'];
    const params: unknown[] = [tenantId];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filters.agentId) add('agent_id = ?', filters.agentId);
    if (filters.policyIds) add('matched_policy_ids && ?::uuid[]', filters.policyIds);
    if (filters.since) add('created_at >= ?::timestamptz', filters.since);
    if (filters.until) add('created_at < ?::timestamptz', filters.until);
    const direction = order === 'asc' ? 'ASC' : 'DESC';
    if (cursor) {
      params.push(cursor.at, cursor.id);
      where.push(
        `(created_at, id) ${order === 'asc' ? '>' : '<'} ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
      );
    }
    params.push(limit);
    return this.tx.query<EvaluationRow & { cursor_at: string }>(
      `SELECT *, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at FROM policy_evaluations WHERE ${where.join(' AND ')}
       ORDER BY created_at ${direction}, id ${direction} LIMIT $${params.length}`,
      params,
    );
  }
}
