import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { bucketOf, inBuckets, perBucket } from '../../../platform/database/time-buckets.js';
import { RUN_STATUSES, type RunStatus } from '../run.view.js';
import { GetRunSeries, RECURRENCE_FOLLOW_UP_MS, type RunSeries } from './get-run-series.query.js';

@QueryHandler(GetRunSeries)
export class GetRunSeriesHandler implements IQueryHandler<GetRunSeries> {
  constructor(private readonly tx: TransactionHost) {}

  async execute({ tenantId, frame }: GetRunSeries): Promise<RunSeries> {
    const params = [tenantId, frame.from, frame.bucketMs, frame.count];
    const started = await this.tx.query<{ b: number; status: RunStatus; n: number }>(
      `SELECT ${bucketOf('created_at', '$2', '$3')} AS b, status, count(*)::int AS n FROM recovery_runs
        WHERE tenant_id = $1 AND ${inBuckets('created_at', '$2', '$3', '$4')} GROUP BY 1, 2`,
      params,
    );
    const finished = await this.tx.query<{ b: number; auto_verdicts: number; auto_succeeded: number; known: number; recurred: number }>(
      `WITH f AS (
         SELECT r.*, ${bucketOf('r.finished_at', '$2', '$3')} AS b FROM recovery_runs r
          WHERE r.tenant_id = $1 AND r.finished_at IS NOT NULL AND ${inBuckets('r.finished_at', '$2', '$3', '$4')})
       SELECT b,
              count(*) FILTER (WHERE automatic AND verdict IS NOT NULL)::int AS auto_verdicts,
              count(*) FILTER (WHERE automatic AND verdict = 'succeeded')::int AS auto_succeeded,
              count(*) FILTER (WHERE status = 'succeeded' AND finished_at + make_interval(secs => $5::double precision / 1000) <= now())::int AS known,
              count(*) FILTER (WHERE status = 'succeeded' AND finished_at + make_interval(secs => $5::double precision / 1000) <= now() AND EXISTS (
                SELECT 1 FROM recovery_candidates c
                 WHERE c.tenant_id = f.tenant_id AND c.source_pattern_id = f.pattern_id
                   AND c.agent_id IS NOT DISTINCT FROM f.agent_id AND c.capability IS NOT DISTINCT FROM f.capability
                   AND c.created_at > f.finished_at AND c.created_at <= f.finished_at + make_interval(secs => $5::double precision / 1000)))::int AS recurred
         FROM f GROUP BY b`,
      [...params, RECURRENCE_FOLLOW_UP_MS],
    );
    const runsByStatus = Object.fromEntries(
      RUN_STATUSES.map((s) => [s, perBucket(frame, started.filter((r) => r.status === s), (r) => r.n, 0)]),
    ) as RunSeries['runsByStatus'];
    return {
      runsByStatus,
      autoVerdicts: perBucket(frame, finished, (r) => r.auto_verdicts, 0),
      autoSucceeded: perBucket(frame, finished, (r) => r.auto_succeeded, 0),
      verifiedKnown: perBucket(frame, finished, (r) => r.known, 0),
      verifiedRecurred: perBucket(frame, finished, (r) => r.recurred, 0),
    };
  }
}
