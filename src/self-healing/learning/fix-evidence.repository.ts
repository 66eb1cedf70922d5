import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { LEARNING, type FixObservation } from './fix-confidence.js';

/** What the platform has seen of one fix, (pattern, playbook): run verdicts and reviewers' decisions, newest first. */
@Injectable()
export class FixEvidenceRepository {
  constructor(private readonly tx: TransactionHost) {}

  /**
   * One round trip, each part through its own index (idx_recovery_runs_verdicts, idx_recoveries_reviewed):
   * the newest verdictsRead verdicts, and the reviews each failure among the newest horizon of them was
   * judged with: every review since the oldest verdict that counts (up to reviewsSince), and the horizon
   * of reviews before it. With no verdict, the newest horizon reviews.
   */
  async observations(tenantId: string, patternId: string, playbookId: string): Promise<FixObservation[]> {
    const rows = await this.tx.query<{ kind: 'run' | 'review'; succeeded: boolean; at: Date }>(
      `WITH runs AS (
         SELECT verdict = 'succeeded' AS succeeded, verdict_at AS at FROM recovery_runs
          WHERE tenant_id = $1 AND pattern_id = $2 AND playbook_id = $3 AND verdict IS NOT NULL
          ORDER BY verdict_at DESC LIMIT $4),
       edge AS (SELECT min(at) AS at FROM (SELECT at FROM runs ORDER BY at DESC LIMIT $5) counted),
       reviews AS NOT MATERIALIZED (
         SELECT status = 'applied' AS succeeded, decided_at AS at FROM recovery_candidates
          WHERE tenant_id = $1 AND source_pattern_id = $2 AND playbook_id = $3 AND status IN ('applied', 'rejected')
            AND decided_by <> 'auto-apply')
       SELECT 'run' AS kind, succeeded, at FROM runs
       UNION ALL
       (SELECT 'review', succeeded, at FROM reviews WHERE at > (SELECT at FROM edge) ORDER BY at DESC LIMIT $6)
       UNION ALL
       (SELECT 'review', succeeded, at FROM reviews WHERE at <= coalesce((SELECT at FROM edge), 'infinity')
         ORDER BY at DESC LIMIT $5)
       ORDER BY at DESC`,
      [tenantId, patternId, playbookId, LEARNING.verdictsRead, LEARNING.horizon, LEARNING.reviewsSince],
    );
    return rows.map((r) => ({ kind: r.kind, succeeded: r.succeeded, at: r.at }));
  }
}
