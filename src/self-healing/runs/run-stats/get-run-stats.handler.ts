import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { RUN_STATUSES, type RunStatus } from '../run.view.js';
import { GetRunStats, type RunStats } from './get-run-stats.query.js';

@QueryHandler(GetRunStats)
export class GetRunStatsHandler implements IQueryHandler<GetRunStats> {
  constructor(private readonly tx: TransactionHost) {}

  async execute(q: GetRunStats): Promise<RunStats> {
    const window = `tenant_id = $1 AND ($2::double precision IS NULL OR created_at >= now() - make_interval(secs => $2::double precision * 3600))`;
    const byStatus = await this.tx.query<{ status: RunStatus; count: number }>(
      `SELECT status, count(*)::int AS count FROM recovery_runs WHERE ${window} GROUP BY status`,
      [q.tenantId, q.hours],
    );
    const [r] = await this.tx.query<{ auto_ok: number; auto_done: number; escalated: number; plain_ok: number; verdicts: number }>(
      `SELECT count(*) FILTER (WHERE automatic AND status = 'succeeded')::int AS auto_ok,
              count(*) FILTER (WHERE automatic AND status IN ('succeeded', 'failed', 'rolled_back', 'rollback_failed'))::int AS auto_done,
              count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'rolled_back', 'rollback_failed'))::int AS verdicts,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM recovery_run_steps s WHERE s.run_id = r.id AND s.work_order_id IS NOT NULL))::int AS escalated,
              count(*) FILTER (WHERE status = 'succeeded' AND NOT EXISTS (SELECT 1 FROM recovery_run_steps s WHERE s.run_id = r.id AND s.work_order_id IS NOT NULL))::int AS plain_ok
         FROM recovery_runs r WHERE ${window}`,
      [q.tenantId, q.hours],
    );
    const runs = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as RunStats['runs'];
    for (const { status, count } of byStatus) runs[status] = count;
    runs.total = byStatus.reduce((n, x) => n + x.count, 0);
    return {
      runs,
      autoApplySuccessRate: r.auto_done === 0 ? null : Math.round((r.auto_ok / r.auto_done) * 10_000) / 10_000,
      escalated: r.escalated,
      succeededWithoutEscalation: r.plain_ok,
      withVerdict: r.verdicts,
    };
  }
}
