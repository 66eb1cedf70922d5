import { Injectable } from '@nestjs/common';
import { bucketOf, inBuckets, type TimeBuckets } from '../platform/database/time-buckets.js';
import { TransactionHost } from '../platform/database/transaction-host.js';
import { LOOP_STAGES } from './loop-status/loop-stages.js';

export interface LoopBucketRow {
  start: Date;
  incidents: number;
  completed: number;
  avg_ms: number | null;
}

/** Loop totals over a window; per stage after incident_created (index i): c{i} completed, f{i} failed, h{i} held, a{i} avg ms. */
export interface LoopTotalsRow {
  total: number;
  complete: number;
  avg_ms: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  [stageColumn: string]: number | null;
}

export interface LoopEventTotalsRow {
  matched: number;
  created: number;
  suggested: number;
  applied: number;
  policies: number;
  adjustments: number;
}

/**
 * loopsPerBucket's SQL ($1 tenant, $2 hours, $3 bucket ms, $4 buckets): each loop of the window is
 * read once and given its bucket (how many bucket lengths before now it started), then the buckets
 * are joined on that number, so the cost is the window's loops, not loops × buckets. Exported for
 * the test that reads its plan.
 */
export const LOOPS_PER_BUCKET_SQL = `
  WITH per AS (
    SELECT least($4 - 1, greatest(0, floor(extract(epoch FROM now() - started_at) * 1000 / $3)))::int AS back,
           count(*)::int AS incidents, count(*) FILTER (WHERE is_complete)::int AS completed,
           avg(extract(epoch FROM completed_at - started_at) * 1000) FILTER (WHERE is_complete) AS avg_ms
      FROM loop_traces
     WHERE tenant_id = $1 AND started_at >= now() - make_interval(secs => $2::double precision * 3600)
     GROUP BY 1)
  SELECT now() - make_interval(secs => (n + 1) * $3::double precision / 1000) AS start,
         coalesce(per.incidents, 0) AS incidents, coalesce(per.completed, 0) AS completed, per.avg_ms
    FROM generate_series(0, $4 - 1) AS n LEFT JOIN per ON per.back = n
   ORDER BY n DESC`;

/** Aggregate reads of the loop's own records (loop_traces, loop_events) for the overview and the health dashboard. */
@Injectable()
export class LoopStatsReadModel {
  constructor(private readonly tx: TransactionHost) {}

  /**
   * Loops started per bucket of `bucketMs` over the last `hours` (empty buckets included), oldest
   * first: the loops loopTotals counts, each in one bucket. Buckets end at now and go back from it
   * (`bucketMs` × `buckets` is at least the window); the oldest starts at or before the window's
   * start and counts only what is in the window, and the newest takes a loop started after now.
   */
  loopsPerBucket(tenantId: string, hours: number, bucketMs: number, buckets: number): Promise<LoopBucketRow[]> {
    return this.tx.query<LoopBucketRow>(LOOPS_PER_BUCKET_SQL, [tenantId, hours, bucketMs, buckets]);
  }

  /** The loops started in the last `hours`: completion and its percentiles, and each stage's outcomes. */
  async loopTotals(tenantId: string, hours: number): Promise<LoopTotalsRow> {
    const stageColumns = LOOP_STAGES.slice(1).map(
      (s, i) => `
      count(*) FILTER (WHERE stages -> '${s}' ->> 'status' = 'completed')::int AS c${i},
      count(*) FILTER (WHERE stages -> '${s}' ->> 'status' = 'failed')::int AS f${i},
      count(*) FILTER (WHERE stages -> '${s}' ->> 'status' = 'held')::int AS h${i},
      avg((stages -> '${s}' ->> 'durationMs')::float) FILTER (WHERE stages -> '${s}' ->> 'status' = 'completed') AS a${i}`,
    );
    const [loops] = await this.tx.query<LoopTotalsRow>(
      `WITH t AS (
         SELECT *, extract(epoch FROM completed_at - started_at) * 1000 AS ms FROM loop_traces
          WHERE tenant_id = $1 AND started_at >= now() - make_interval(secs => $2::double precision * 3600))
       SELECT count(*)::int AS total, count(*) FILTER (WHERE is_complete)::int AS complete,
              avg(ms) FILTER (WHERE is_complete) AS avg_ms,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE is_complete) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FILTER (WHERE is_complete) AS p95,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) FILTER (WHERE is_complete) AS p99,
              ${stageColumns.join(',')}
         FROM t`,
      [tenantId, hours],
    );
    return loops;
  }

  /** What the bridges did in the last `hours`, counted from the loop's events. */
  async eventTotals(tenantId: string, hours: number): Promise<LoopEventTotalsRow> {
    const [events] = await this.tx.query<LoopEventTotalsRow>(
      `SELECT count(*) FILTER (WHERE event_type = 'PatternMatched')::int AS matched,
              count(*) FILTER (WHERE event_type = 'PatternMatched' AND (details ->> 'isNewPattern')::boolean)::int AS created,
              count(*) FILTER (WHERE event_type = 'RecoverySuggested')::int AS suggested,
              count(*) FILTER (WHERE (event_type = 'RecoverySuggested' AND (details ->> 'autoApplied')::boolean)
                                  OR event_type = 'RecoveryApplied')::int AS applied,
              count(DISTINCT details ->> 'policyId') FILTER (WHERE event_type = 'PolicyGenerated')::int AS policies,
              coalesce(sum((details ->> 'adjustmentCount')::int) FILTER (WHERE event_type = 'RoutingAdjusted'), 0)::int AS adjustments
         FROM loop_events WHERE tenant_id = $1 AND created_at >= now() - make_interval(secs => $2::double precision * 3600)`,
      [tenantId, hours],
    );
    return events;
  }

  /** Per bucket: incidents that matched a pattern whose policy was already active (from the loop's own history). */
  repeatsAfterPolicy(tenantId: string, frame: TimeBuckets): Promise<Array<{ b: number; n: number }>> {
    return this.tx.query<{ b: number; n: number }>(
      `WITH matched AS (
         SELECT incident_id, details ->> 'patternId' AS pattern_id, created_at FROM loop_events
          WHERE tenant_id = $1 AND event_type = 'PatternMatched'),
       policy AS (
         SELECT m.pattern_id, min(e.created_at) AS active_at FROM loop_events e JOIN matched m ON m.incident_id = e.incident_id
          WHERE e.tenant_id = $1 AND e.event_type = 'PolicyGenerated' AND e.details ->> 'status' = 'active' GROUP BY m.pattern_id)
       SELECT ${bucketOf('m.created_at', '$2', '$3')} AS b, count(*)::int AS n
         FROM matched m JOIN policy p ON p.pattern_id = m.pattern_id
        WHERE m.created_at > p.active_at AND ${inBuckets('m.created_at', '$2', '$3', '$4')} GROUP BY 1`,
      [tenantId, frame.from, frame.bucketMs, frame.count],
    );
  }
}
