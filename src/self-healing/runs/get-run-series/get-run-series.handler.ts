import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { perBucket } from '../../../platform/database/time-buckets.js';
import { RunStatsReadModel } from '../run-stats.read-model.js';
import { RUN_STATUSES } from '../run.view.js';
import { GetRunSeries, RECURRENCE_FOLLOW_UP_MS, type RunSeries } from './get-run-series.query.js';

@QueryHandler(GetRunSeries)
export class GetRunSeriesHandler implements IQueryHandler<GetRunSeries> {
  constructor(private readonly stats: RunStatsReadModel) {}

  async execute({ tenantId, frame }: GetRunSeries): Promise<RunSeries> {
    const started = await this.stats.started(tenantId, frame);
    const verdicts = await this.stats.verdicts(tenantId, frame);
    const finished = await this.stats.finished(tenantId, frame, RECURRENCE_FOLLOW_UP_MS);
    const runsByStatus = Object.fromEntries(
      RUN_STATUSES.map((s) => [
        s,
        perBucket(
          frame,
          started.filter((r) => r.status === s),
          (r) => r.n,
          0,
        ),
      ]),
    ) as RunSeries['runsByStatus'];
    return {
      runsByStatus,
      autoVerdicts: perBucket(frame, verdicts, (r) => r.auto_verdicts, 0),
      autoSucceeded: perBucket(frame, verdicts, (r) => r.auto_succeeded, 0),
      verifiedKnown: perBucket(frame, finished, (r) => r.known, 0),
      verifiedRecurred: perBucket(frame, finished, (r) => r.recurred, 0),
    };
  }
}
