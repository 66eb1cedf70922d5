import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import type { EscalationRow } from './signal.view.js';

/** An armed escalation with how bad its symptoms were, and how many are armed. */
export type ArmedEscalationRow = EscalationRow & { critical: boolean; total: number };

@Injectable()
export class EscalationsRepository {
  constructor(private readonly tx: TransactionHost) {}

  /** Escalations still armed by the wall clock, newest first, at most `limit`. */
  armed(tenantId: string, limit: number): Promise<ArmedEscalationRow[]> {
    return this.tx.query<ArmedEscalationRow>(
      `SELECT e.*,
              EXISTS (SELECT 1 FROM signal_symptoms s
                       WHERE s.id = ANY(e.symptom_ids) AND s.severity = 'critical') AS critical,
              (count(*) OVER ())::int AS total
         FROM signal_escalations e
        WHERE e.tenant_id = $1 AND e.expires_at > now()
        ORDER BY e.armed_at DESC, e.id DESC LIMIT $2`,
      [tenantId, limit],
    );
  }
}
