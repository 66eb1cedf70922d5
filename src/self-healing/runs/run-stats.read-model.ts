import { Injectable } from '@nestjs/common';
import { bucketOf, inBuckets, type TimeBuckets } from '../../platform/database/time-buckets.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import type { RunStatus, RunVerdict } from './run.view.js';

/** How many runs of one kind (status, verdict, automatic, escalated) there are. */
export interface RunGroupRow {
  status: RunStatus;
  verdict: RunVerdict | null;
  automatic: boolean;
  escalated: boolean;
  count: number;
}

export interface StartedRow {
  b: number;
  status: RunStatus;
  n: number;
}

export interface VerdictRow {
  b: number;
  auto_verdicts: number;
  auto_succeeded: number;
}

export interface FinishedRow {
  b: number;
  known: number;
  recurred: number;
}

/** Aggregate reads of the recovery runs for the dashboards: over a window, and per time bucket. */
@Injectable()
export class RunStatsReadModel {
  constructor(private readonly tx: TransactionHost) {}

  /** The runs started in the last `hours` (null: ever), one row per kind of run. */
  groups(tenantId: string, hours: number | null): Promise<RunGroupRow[]> {
    return this.tx.query<RunGroupRow>(
      `SELECT status, verdict, automatic,
              EXISTS (SELECT 1 FROM recovery_run_steps s WHERE s.run_id = r.id AND s.work_order_id IS NOT NULL) AS escalated,
              count(*)::int AS count
         FROM recovery_runs r
        WHERE tenant_id = $1 AND ($2::double precision IS NULL OR created_at >= now() - make_interval(secs => $2::double precision * 3600))
        GROUP BY 1, 2, 3, 4`,
      [tenantId, hours],
    );
  }

  /** Runs started per bucket, by their state now. */
  started(tenantId: string, frame: TimeBuckets): Promise<StartedRow[]> {
    return this.tx.query<StartedRow>(
      `SELECT ${bucketOf('created_at', '$2', '$3')} AS b, status, count(*)::int AS n FROM recovery_runs
        WHERE tenant_id = $1 AND ${inBuckets('created_at', '$2', '$3', '$4')} GROUP BY 1, 2`,
      [tenantId, frame.from, frame.bucketMs, frame.count],
    );
  }

  /**
   * Automatic runs per bucket of their verdict, and those that succeeded. By the verdict's time, not
   * the finish: a failed run's rollback may wait hours for a person, a success finishes at once, and
   * counting each when it finished would show the successes first.
   */
  verdicts(tenantId: string, frame: TimeBuckets): Promise<VerdictRow[]> {
    return this.tx.query<VerdictRow>(
      `SELECT ${bucketOf('verdict_at', '$2', '$3')} AS b, count(*)::int AS auto_verdicts,
              count(*) FILTER (WHERE verdict = 'succeeded')::int AS auto_succeeded
         FROM recovery_runs
        WHERE tenant_id = $1 AND automatic AND verdict IS NOT NULL AND ${inBuckets('verdict_at', '$2', '$3', '$4')}
        GROUP BY 1`,
      [tenantId, frame.from, frame.bucketMs, frame.count],
    );
  }

  /**
   * Of the runs finished per bucket: the succeeded ones whose follow-up (`followUpMs` after they
   * finished) is over, and those whose fault came back in it.
   */
  finished(tenantId: string, frame: TimeBuckets, followUpMs: number): Promise<FinishedRow[]> {
    return this.tx.query<FinishedRow>(
      `WITH f AS (
         SELECT r.*, ${bucketOf('r.finished_at', '$2', '$3')} AS b FROM recovery_runs r
          WHERE r.tenant_id = $1 AND r.status = 'succeeded' AND ${inBuckets('r.finished_at', '$2', '$3', '$4')}
            AND r.finished_at + make_interval(secs => $5::double precision / 1000) <= now())
       SELECT b, count(*)::int AS known,
              count(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM recovery_candidates c
                 WHERE c.tenant_id = f.tenant_id AND c.source_pattern_id = f.pattern_id
                   AND c.agent_id IS NOT DISTINCT FROM f.agent_id AND c.capability IS NOT DISTINCT FROM f.capability
                   AND c.created_at > f.finished_at AND c.created_at <= f.finished_at + make_interval(secs => $5::double precision / 1000)))::int AS recurred
         FROM f GROUP BY b`,
      [tenantId, frame.from, frame.bucketMs, frame.count, followUpMs],
    );
  }
}
