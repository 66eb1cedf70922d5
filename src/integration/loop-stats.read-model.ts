import { Injectable } from '@nestjs/common';
import type { PolicyActivePeriod } from '../governance/policies/get-policy-active-periods/get-policy-active-periods.query.js';
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

  /**
   * What the bridges did in the last `hours`, counted from the loop's events. Policies and routing
   * adjustments are counted distinct: each is one row rewritten by every later incident of its
   * pattern (DESIGN §4), so the figure is the adjustments written, one per (policy, agent,
   * capability), not the writes. An event stored before it carried its adjustments' keys names its
   * agents only: each counts as one (policy, agent) adjustment, unless a keyed event of the window
   * names that policy and agent.
   */
  async eventTotals(tenantId: string, hours: number): Promise<LoopEventTotalsRow> {
    const [events] = await this.tx.query<LoopEventTotalsRow>(
      `WITH e AS (
         SELECT event_type, details FROM loop_events
          WHERE tenant_id = $1 AND created_at >= now() - make_interval(secs => $2::double precision * 3600)),
       adjusted AS (
         SELECT e.details ->> 'policyId' AS policy_id, k.agent_id, k.capability
           FROM e CROSS JOIN LATERAL (
                  SELECT a ->> 'agentId' AS agent_id, coalesce(a ->> 'capability', '') AS capability
                    FROM jsonb_array_elements(e.details -> 'adjustments') a
                  UNION ALL
                  SELECT a, NULL FROM jsonb_array_elements_text(e.details -> 'affectedAgents') a
                   WHERE e.details -> 'adjustments' IS NULL) k
          WHERE e.event_type = 'RoutingAdjusted')
       SELECT count(*) FILTER (WHERE event_type = 'PatternMatched')::int AS matched,
              count(*) FILTER (WHERE event_type = 'PatternMatched' AND (details ->> 'isNewPattern')::boolean)::int AS created,
              count(*) FILTER (WHERE event_type = 'RecoverySuggested')::int AS suggested,
              count(*) FILTER (WHERE (event_type = 'RecoverySuggested' AND (details ->> 'autoApplied')::boolean)
                                  OR event_type = 'RecoveryApplied')::int AS applied,
              count(DISTINCT details ->> 'policyId') FILTER (WHERE event_type = 'PolicyGenerated')::int AS policies,
              (SELECT count(*) FROM (
                 SELECT DISTINCT policy_id, agent_id, capability FROM adjusted o
                  WHERE capability IS NOT NULL
                     OR NOT EXISTS (SELECT 1 FROM adjusted n WHERE n.capability IS NOT NULL
                                       AND n.policy_id = o.policy_id AND n.agent_id = o.agent_id)) d)::int AS adjustments
         FROM e`,
      [tenantId, hours],
    );
    return events;
  }

  /**
   * Per bucket of their report time: incidents of a pattern whose policy was active when they were
   * reported, by `periods` (governance's status history of its policies). A pattern's policy is the
   * one its policy belongs to now, or one bridge 3 derived for an incident of it (the loop's own
   * history: a pattern merged away keeps its incidents' policy).
   */
  repeatsAfterPolicy(
    tenantId: string,
    frame: TimeBuckets,
    periods: PolicyActivePeriod[],
  ): Promise<Array<{ b: number; n: number }>> {
    if (periods.length === 0) return Promise.resolve([]);
    return this.tx.query<{ b: number; n: number }>(
      `WITH period AS (
         SELECT * FROM unnest($5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[])
                    AS p(policy_id, pattern_id, active_from, active_until)),
       matched AS (
         SELECT incident_id, details ->> 'patternId' AS pattern_id FROM loop_events
          WHERE tenant_id = $1 AND event_type = 'PatternMatched'),
       owner AS (
         SELECT m.pattern_id, e.details ->> 'policyId' AS policy_id FROM loop_events e JOIN matched m ON m.incident_id = e.incident_id
          WHERE e.tenant_id = $1 AND e.event_type = 'PolicyGenerated'
         UNION SELECT pattern_id, policy_id FROM period)
       SELECT ${bucketOf('t.started_at', '$2', '$3')} AS b, count(DISTINCT m.incident_id)::int AS n
         FROM matched m JOIN loop_traces t ON t.incident_id = m.incident_id
        WHERE ${inBuckets('t.started_at', '$2', '$3', '$4')}
          AND EXISTS (SELECT 1 FROM owner o JOIN period p ON p.policy_id = o.policy_id
                       WHERE o.pattern_id = m.pattern_id AND t.started_at > p.active_from
                         AND (p.active_until IS NULL OR t.started_at < p.active_until))
        GROUP BY 1`,
      [
        tenantId,
        frame.from,
        frame.bucketMs,
        frame.count,
        periods.map((p) => p.policyId),
        periods.map((p) => p.patternId),
        periods.map((p) => p.from),
        periods.map((p) => p.until),
      ],
    );
  }
}
