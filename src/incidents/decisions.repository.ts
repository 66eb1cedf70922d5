import { Injectable } from '@nestjs/common';
import { columnsOf, type Statement, TransactionHost } from '../platform/database/transaction-host.js';
import { uuidv7 } from '../platform/ids/uuid-v7.js';
import type { DecisionKind } from './record-decision/record-decision.command.js';

export interface DecisionRow {
  kind: DecisionKind;
  summary: string;
  details: Record<string, unknown>;
  created_at: Date;
}

/** Decisions are only read by later requests: written at commit, all of a transaction's in one statement. */
const insertDecisions = (rows: unknown[][]): Statement[] => [
  {
    sql: `INSERT INTO decisions (id, tenant_id, incident_id, kind, summary, details)
          SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::jsonb[])`,
    params: columnsOf(rows),
  },
];

/** The SQL of the decisions timeline (table `decisions`). */
@Injectable()
export class DecisionsRepository {
  constructor(private readonly tx: TransactionHost) {}

  /** Written when the caller's transaction commits (incidentId null: a tenant-wide decision). */
  record(d: {
    tenantId: string;
    incidentId: string | null;
    kind: DecisionKind;
    summary: string;
    details?: Record<string, unknown>;
  }): Promise<void> {
    return this.tx.deferWrite(insertDecisions, [
      uuidv7(),
      d.tenantId,
      d.incidentId,
      d.kind,
      d.summary,
      JSON.stringify(d.details ?? {}),
    ]);
  }

  /** The incident's decisions in the order they were taken. */
  listOf(tenantId: string, incidentId: string): Promise<DecisionRow[]> {
    return this.tx.query<DecisionRow>(
      `SELECT kind, summary, details, created_at FROM decisions
        WHERE tenant_id = $1 AND incident_id = $2 ORDER BY created_at, id`,
      [tenantId, incidentId],
    );
  }
}
