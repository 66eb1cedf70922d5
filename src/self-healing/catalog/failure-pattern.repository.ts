import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import type { Cursor } from '../../platform/http/cursor.js';
import type { RecoveryTemplate } from '../recovery/recovery-generator.js';
import type { PatternCandidate } from './pattern-matcher.js';

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
  created_at: Date;
  updated_at: Date;
}

export interface PatternView {
  id: string;
  errorType: string;
  template: string;
  occurrenceCount: number;
  affectedAgents: string[];
  capabilities: string[];
  recoveryTemplate: RecoveryTemplate | null;
  autoApplyRecovery: boolean;
  firstIncidentId: string | null;
  lastSeenAt: string;
  createdAt: string;
  updatedAt: string;
}

export const patternView = (r: PatternRow): PatternView => ({
  id: r.id,
  errorType: r.error_type,
  template: r.template,
  occurrenceCount: r.occurrence_count,
  affectedAgents: r.affected_agents,
  capabilities: r.capabilities,
  recoveryTemplate: r.recovery_template,
  autoApplyRecovery: r.auto_apply_recovery,
  firstIncidentId: r.first_incident_id,
  lastSeenAt: r.last_seen_at.toISOString(),
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

// Adds a value to a text[] column only if it is new (agents and capabilities seen by a pattern).
const appendUnique = (column: string, param: string) =>
  `CASE WHEN ${param}::text IS NULL OR ${param}::text = ANY(${column}) THEN ${column} ELSE array_append(${column}, ${param}::text) END`;

@Injectable()
export class FailurePatternRepository {
  constructor(private readonly tx: TransactionHost) {}

  /**
   * One (tenant, error type, shape) bucket's candidates, read under a lock on the bucket held
   * until the transaction ends, so two concurrent incidents with the same new signature create
   * one pattern. Lock and read leave together; PostgreSQL runs the read once the lock is granted,
   * with a snapshot that sees whatever the lock's previous holder committed.
   */
  async lockedBucket(tenantId: string, errorType: string, shapeKey: string): Promise<PatternCandidate[]> {
    const [, candidates] = await Promise.all([
      this.tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${tenantId}|${errorType}|${shapeKey}`]),
      this.bucket(tenantId, errorType, shapeKey),
    ]);
    return candidates;
  }

  /** One bucket's candidates, through the (tenant_id, error_type, shape_key) index; no lock (dry runs). */
  async bucket(tenantId: string, errorType: string, shapeKey: string): Promise<PatternCandidate[]> {
    const rows = await this.tx.query<{ id: string; template_tokens: string[] }>(
      `SELECT id, template_tokens FROM failure_patterns WHERE tenant_id = $1 AND error_type = $2 AND shape_key = $3`,
      [tenantId, errorType, shapeKey],
    );
    return rows.map((r) => ({ id: r.id, templateTokens: r.template_tokens }));
  }

  async insert(p: { id: string; tenantId: string; errorType: string; shapeKey: string; tokens: string[]; incidentId: string; agentId: string | null; capability: string | null }): Promise<PatternRow> {
    const [row] = await this.tx.query<PatternRow>(
      `INSERT INTO failure_patterns (id, tenant_id, error_type, shape_key, template, template_tokens, first_incident_id, affected_agents, capabilities)
       VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8::text IS NULL THEN '{}' ELSE ARRAY[$8::text] END, CASE WHEN $9::text IS NULL THEN '{}' ELSE ARRAY[$9::text] END)
       RETURNING *`,
      [p.id, p.tenantId, p.errorType, p.shapeKey, p.tokens.join(' '), p.tokens, p.incidentId, p.agentId, p.capability],
    );
    return row;
  }

  /** Records one more occurrence, with the generalised template and the incident's agent and capability. */
  async recordOccurrence(id: string, tokens: string[], agentId: string | null, capability: string | null): Promise<PatternRow> {
    const [row] = await this.tx.query<PatternRow>(
      `UPDATE failure_patterns
          SET template_tokens = $2, template = $3, occurrence_count = occurrence_count + 1, last_seen_at = now(), updated_at = now(),
              affected_agents = ${appendUnique('affected_agents', '$4')}, capabilities = ${appendUnique('capabilities', '$5')}
        WHERE id = $1 RETURNING *`,
      [id, tokens, tokens.join(' '), agentId, capability],
    );
    return row;
  }

  async find(tenantId: string, id: string): Promise<PatternRow | null> {
    const [row] = await this.tx.query<PatternRow>(`SELECT * FROM failure_patterns WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return row ?? null;
  }

  async list(tenantId: string, filters: { errorType?: string }, cursor: Cursor | null, limit: number): Promise<PatternRow[]> {
    const params: unknown[] = [tenantId];
    const where = ['tenant_id = $1'];
    if (filters.errorType) {
      params.push(filters.errorType.trim().toLowerCase());
      where.push(`error_type = $${params.length}`);
    }
    if (cursor) {
      params.push(cursor.at, cursor.id);
      where.push(`(last_seen_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit);
    return this.tx.query<PatternRow>(
      `SELECT * FROM failure_patterns WHERE ${where.join(' AND ')} ORDER BY last_seen_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
  }

  async update(tenantId: string, id: string, changes: { recoveryTemplate?: RecoveryTemplate | null; autoApplyRecovery?: boolean }): Promise<PatternRow | null> {
    const [row] = await this.tx.query<PatternRow>(
      `UPDATE failure_patterns
          SET recovery_template = CASE WHEN $3 THEN $4::jsonb ELSE recovery_template END,
              auto_apply_recovery = coalesce($5, auto_apply_recovery), updated_at = now()
        WHERE tenant_id = $1 AND id = $2 RETURNING *`,
      [tenantId, id, changes.recoveryTemplate !== undefined, changes.recoveryTemplate === undefined ? null : JSON.stringify(changes.recoveryTemplate), changes.autoApplyRecovery ?? null],
    );
    return row ?? null;
  }
}
