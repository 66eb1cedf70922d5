import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { RunStatsReadModel, type RunGroupRow } from '../run-stats.read-model.js';
import { RUN_STATUSES } from '../run.view.js';
import { GetRunStats, type RunStats } from './get-run-stats.query.js';

@QueryHandler(GetRunStats)
export class GetRunStatsHandler implements IQueryHandler<GetRunStats> {
  constructor(private readonly stats: RunStatsReadModel) {}

  async execute(q: GetRunStats): Promise<RunStats> {
    // One row per kind of run: every figure below is a sum over them.
    const groups = await this.stats.groups(q.tenantId, q.hours);
    const sum = (keep: (g: RunGroupRow) => boolean) => groups.filter(keep).reduce((n, g) => n + g.count, 0);
    // A failed run is a verdict at once, while its rollback still runs (or waits for a person).
    const verdict = (g: RunGroupRow) => g.verdict !== null;
    const runs = Object.fromEntries(RUN_STATUSES.map((s) => [s, sum((g) => g.status === s)])) as RunStats['runs'];
    runs.total = sum(() => true);
    const autoDone = sum((g) => g.automatic && verdict(g));
    return {
      runs,
      autoApplySuccessRate:
        autoDone === 0
          ? null
          : Math.round((sum((g) => g.automatic && g.verdict === 'succeeded') / autoDone) * 10_000) / 10_000,
      escalated: sum((g) => g.escalated),
      succeededWithoutEscalation: sum((g) => g.status === 'succeeded' && !g.escalated),
      withVerdict: sum(verdict),
    };
  }
}
