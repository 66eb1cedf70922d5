import { Injectable } from '@nestjs/common';
import { columnsOf, TransactionHost, type Statement } from '../platform/database/transaction-host.js';
import type { Cursor } from '../platform/http/cursor.js';
import type { IncidentRow } from './incident.view.js';

export interface IncidentFilters {
  severity?: string;
  errorType?: string;
  agentId?: string;
  capability?: string;
  matchedPatternId?: string;
  since?: string;
  until?: string;
}

@Injectable()
export class IncidentsRepository {
  constructor(private readonly tx: TransactionHost) {}

  async insert(row: Omit<IncidentRow, 'created_at' | 'matched_pattern_id'>): Promise<IncidentRow> {
    const [created] = await this.tx.query<IncidentRow>(
      `INSERT INTO incidents (id, tenant_id, title, error_type, message, severity, agent_id, capability, context, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [row.id, row.tenant_id, row.title, row.error_type, row.message, row.severity, row.agent_id, row.capability, JSON.stringify(row.context), row.occurred_at],
    );
    return created;
  }

  async find(tenantId: string, id: string): Promise<IncidentRow | null> {
    const [row] = await this.tx.query<IncidentRow>(`SELECT * FROM incidents WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return row ?? null;
  }

  /** Read only by later requests: written at commit, every link of the transaction (a bridge-1 batch) in one statement. */
  setMatchedPattern(tenantId: string, id: string, patternId: string): Promise<void> {
    return this.tx.deferWrite(this.writeMatchedPatterns, [tenantId, id, patternId]);
  }

  private readonly writeMatchedPatterns = (links: string[][]): Statement[] => [
    {
      sql: `UPDATE incidents i SET matched_pattern_id = l.pattern_id
              FROM unnest($1::text[], $2::uuid[], $3::uuid[]) AS l(tenant_id, incident_id, pattern_id)
             WHERE i.tenant_id = l.tenant_id AND i.id = l.incident_id`,
      params: columnsOf(links),
    },
  ];

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(tenantId: string, filters: IncidentFilters, cursor: Cursor | null, limit: number): Promise<IncidentRow[]> {
    const where = ['tenant_id = $1'];
    const params: unknown[] = [tenantId];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filters.severity) add('severity = ?', filters.severity);
    if (filters.errorType) add('error_type = ?', filters.errorType.trim().toLowerCase());
    if (filters.agentId) add('agent_id = ?', filters.agentId);
    if (filters.capability) add('capability = ?', filters.capability);
    if (filters.matchedPatternId) add('matched_pattern_id = ?', filters.matchedPatternId);
    if (filters.since) add('created_at >= ?', filters.since);
    if (filters.until) add('created_at < ?', filters.until);
    if (cursor) {
      params.push(cursor.at, cursor.id);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit);
    return this.tx.query<IncidentRow>(
      `SELECT * FROM incidents WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
  }
}
