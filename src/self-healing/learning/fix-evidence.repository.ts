import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { LEARNING, type FixObservation } from './fix-confidence.js';

/** What the platform has seen of one fix, (pattern, playbook): run verdicts and reviewers' decisions, newest first. */
@Injectable()
export class FixEvidenceRepository {
  constructor(private readonly tx: TransactionHost) {}

  /** One round trip, each half through its own index (idx_recovery_runs_verdicts, idx_recoveries_reviewed). */
  async observations(tenantId: string, patternId: string, playbookId: string): Promise<FixObservation[]> {
    const rows = await this.tx.query<{ kind: 'run' | 'review'; succeeded: boolean; at: Date }>(
      `(SELECT 'run' AS kind, verdict = 'succeeded' AS succeeded, verdict_at AS at FROM recovery_runs
         WHERE tenant_id = $1 AND pattern_id = $2 AND playbook_id = $3 AND verdict IS NOT NULL
         ORDER BY verdict_at DESC LIMIT $4)
       UNION ALL
       (SELECT 'review', status = 'applied', decided_at FROM recovery_candidates
         WHERE tenant_id = $1 AND source_pattern_id = $2 AND playbook_id = $3 AND status IN ('applied', 'rejected') AND decided_by <> 'auto-apply'
         ORDER BY decided_at DESC LIMIT $4)
       ORDER BY at DESC`,
      [tenantId, patternId, playbookId, LEARNING.readPerKind],
    );
    return rows.map((r) => ({ kind: r.kind, succeeded: r.succeeded, at: r.at }));
  }
}
