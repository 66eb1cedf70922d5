import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { RUN_STATUSES, type RunStatus, type RunVerdict } from '../run.view.js';
import { GetRunStats, type RunStats } from './get-run-stats.query.js';

@QueryHandler(GetRunStats)
export class GetRunStatsHandler implements IQueryHandler<GetRunStats> {
  constructor(private readonly tx: TransactionHost) {}

  async execute(q: GetRunStats): Promise<RunStats> {
    // One row per kind of run: every figure below is a sum over them.
    const groups = await this.tx.query<{ status: RunStatus; verdict: RunVerdict | null; automatic: boolean; escalated: boolean; count: number }>(
      `SELECT status, verdict, automatic,
              EXISTS (SELECT 1 FROM recovery_run_steps s WHERE s.run_id = r.id AND s.work_order_id IS NOT NULL) AS escalated,
              count(*)::int AS count
         FROM recovery_runs r
        WHERE tenant_id = $1 AND ($2::double precision IS NULL OR created_at >= now() - make_interval(secs => $2::double precision * 3600))
        GROUP BY 1, 2, 3, 4`,
      [q.tenantId, q.hours],
    );
    const sum = (keep: (g: (typeof groups)[number]) => boolean) => groups.filter(keep).reduce((n, g) => n + g.count, 0);
    // A failed run is a verdict at once, while its rollback still runs (or waits for a person).
    const verdict = (g: { verdict: RunVerdict | null }) => g.verdict !== null;
    const runs = Object.fromEntries(RUN_STATUSES.map((s) => [s, sum((g) => g.status === s)])) as RunStats['runs'];
    runs.total = sum(() => true);
    const autoDone = sum((g) => g.automatic && verdict(g));
    return {
      runs,
      autoApplySuccessRate: autoDone === 0 ? null : Math.round((sum((g) => g.automatic && g.verdict === 'succeeded') / autoDone) * 10_000) / 10_000,
      escalated: sum((g) => g.escalated),
      succeededWithoutEscalation: sum((g) => g.status === 'succeeded' && !g.escalated),
      withVerdict: sum(verdict),
    };
  }
}
