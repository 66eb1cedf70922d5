import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import type { Cursor } from '../../platform/http/cursor.js';

export type RecoveryStatus = 'pending_review' | 'applied' | 'rejected';

export interface RecoveryRow {
  id: string;
  tenant_id: string;
  source_incident_id: string;
  source_pattern_id: string;
  playbook_id: string;
  action: string;
  steps: string[];
  params: Record<string, unknown>;
  suggestion_type: 'template' | 'generated';
  confidence: number;
  status: RecoveryStatus;
  decided_by: string | null;
  decided_at: Date | null;
  created_at: Date;
}

export const recoveryView = (r: RecoveryRow) => ({
  id: r.id,
  incidentId: r.source_incident_id,
  patternId: r.source_pattern_id,
  playbookId: r.playbook_id,
  action: r.action,
  steps: r.steps,
  params: r.params,
  suggestionType: r.suggestion_type,
  confidence: r.confidence,
  status: r.status,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at?.toISOString() ?? null,
  createdAt: r.created_at.toISOString(),
});

@Injectable()
export class RecoveryRepository {
  constructor(private readonly tx: TransactionHost) {}

  async insert(r: Omit<RecoveryRow, 'created_at' | 'decided_at'>): Promise<RecoveryRow> {
    const [row] = await this.tx.query<RecoveryRow>(
      `INSERT INTO recovery_candidates (id, tenant_id, source_incident_id, source_pattern_id, playbook_id, action, steps, params,
                                        suggestion_type, confidence, status, decided_by, decided_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CASE WHEN $11 = 'pending_review' THEN NULL ELSE now() END) RETURNING *`,
      [r.id, r.tenant_id, r.source_incident_id, r.source_pattern_id, r.playbook_id, r.action, JSON.stringify(r.steps), JSON.stringify(r.params),
        r.suggestion_type, r.confidence, r.status, r.decided_by],
    );
    return row;
  }

  async find(tenantId: string, id: string, forUpdate = false): Promise<RecoveryRow | null> {
    const [row] = await this.tx.query<RecoveryRow>(
      `SELECT * FROM recovery_candidates WHERE tenant_id = $1 AND id = $2 ${forUpdate ? 'FOR UPDATE' : ''}`,
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

  async recordAction(r: { tenantId: string; recoveryId: string; action: 'applied' | 'rejected'; automatic: boolean; actor: string; note?: string | null; id: string }): Promise<void> {
    await this.tx.query(
      `INSERT INTO recovery_actions (id, tenant_id, recovery_id, action, automatic, actor, note) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [r.id, r.tenantId, r.recoveryId, r.action, r.automatic, r.actor, r.note ?? null],
    );
  }

  /** Reviewed outcomes only: automatic applications say nothing about whether a fix worked. */
  async successRate(patternId: string): Promise<number | null> {
    const [row] = await this.tx.query<{ applied: number; rejected: number }>(
      `SELECT count(*) FILTER (WHERE a.action = 'applied')::int AS applied, count(*) FILTER (WHERE a.action = 'rejected')::int AS rejected
         FROM recovery_actions a JOIN recovery_candidates c ON c.id = a.recovery_id
        WHERE c.source_pattern_id = $1 AND NOT a.automatic`,
      [patternId],
    );
    const total = row.applied + row.rejected;
    return total === 0 ? null : row.applied / total;
  }

  async list(tenantId: string, f: { status?: string; patternId?: string; incidentId?: string }, cursor: Cursor | null, limit: number): Promise<RecoveryRow[]> {
    const params: unknown[] = [tenantId];
    const where = ['tenant_id = $1'];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.status) add('status = ?', f.status);
    if (f.patternId) add('source_pattern_id = ?', f.patternId);
    if (f.incidentId) add('source_incident_id = ?', f.incidentId);
    if (cursor) {
      params.push(cursor.at, cursor.id);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit);
    return this.tx.query<RecoveryRow>(
      `SELECT * FROM recovery_candidates WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
  }
}
