import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { GetResolutionStats, type ResolutionStats } from '../../incidents/resolution-stats/get-resolution-stats.query.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { GetRunStats, type RunStats } from '../../self-healing/runs/run-stats/get-run-stats.query.js';
import { LOOP_STAGES } from '../loop-status/loop-stages.js';
import type { IntegrationStats, StageStats } from './integration-stats.view.js';

/** One time bucket of the overview's charts. */
export interface StatsBucket {
  start: string;
  incidents: number;
  completed: number;
  avgLoopCompletionTimeMs: number | null;
}

const round = (x: number | null) => (x === null ? 0 : Math.round(x * 10) / 10);

/** IntegrationStats from the loop's own records (loop traces and events), the incidents' resolutions and the recovery runs. */
@Injectable()
export class IntegrationStatsService {
  constructor(
    private readonly tx: TransactionHost,
    private readonly queries: QueryBus,
  ) {}

  /** Loops per time bucket over the window (empty buckets included), for the console's charts. */
  async timeseries(tenantId: string, hours: number, buckets: number): Promise<{ windowHours: number; bucketMs: number; buckets: StatsBucket[] }> {
    const bucketMs = Math.max(1000, Math.ceil((hours * 3_600_000) / buckets));
    const rows = await this.tx.query<{ start: Date; incidents: number; completed: number; avg_ms: number | null }>(
      `WITH b AS (
         SELECT to_timestamp(floor(extract(epoch FROM now()) * 1000 / $3) * $3 / 1000.0 - (n * $3) / 1000.0) AS start
           FROM generate_series(0, $4 - 1) AS n)
       SELECT b.start, count(t.incident_id)::int AS incidents, count(*) FILTER (WHERE t.is_complete)::int AS completed,
              avg(extract(epoch FROM t.completed_at - t.started_at) * 1000) FILTER (WHERE t.is_complete) AS avg_ms
         FROM b LEFT JOIN loop_traces t
           ON t.tenant_id = $1 AND t.started_at >= b.start AND t.started_at < b.start + make_interval(secs => $3 / 1000.0)
              AND t.started_at >= now() - make_interval(secs => $2::double precision * 3600)
        GROUP BY b.start ORDER BY b.start`,
      [tenantId, hours, bucketMs, buckets],
    );
    return {
      windowHours: hours,
      bucketMs,
      buckets: rows.map((r) => ({ start: r.start.toISOString(), incidents: r.incidents, completed: r.completed, avgLoopCompletionTimeMs: r.avg_ms === null ? null : round(r.avg_ms) })),
    };
  }

  async compute(tenantId: string, hours: number): Promise<IntegrationStats> {
    const stageColumns = LOOP_STAGES.slice(1).map((s, i) => `
      count(*) FILTER (WHERE stages -> '${s}' ->> 'status' = 'completed')::int AS c${i},
      count(*) FILTER (WHERE stages -> '${s}' ->> 'status' = 'failed')::int AS f${i},
      count(*) FILTER (WHERE stages -> '${s}' ->> 'status' = 'held')::int AS h${i},
      avg((stages -> '${s}' ->> 'durationMs')::float) FILTER (WHERE stages -> '${s}' ->> 'status' = 'completed') AS a${i}`);
    const [loops] = await this.tx.query(
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
    const [events] = await this.tx.query(
      `SELECT count(*) FILTER (WHERE event_type = 'PatternMatched')::int AS matched,
              count(*) FILTER (WHERE event_type = 'PatternMatched' AND (details ->> 'isNewPattern')::boolean)::int AS created,
              count(*) FILTER (WHERE event_type = 'RecoverySuggested')::int AS suggested,
              count(*) FILTER (WHERE (event_type = 'RecoverySuggested' AND (details ->> 'autoApplied')::boolean) OR event_type = 'RecoveryApplied')::int AS applied,
              count(DISTINCT details ->> 'policyId') FILTER (WHERE event_type = 'PolicyGenerated')::int AS policies,
              coalesce(sum((details ->> 'adjustmentCount')::int) FILTER (WHERE event_type = 'RoutingAdjusted'), 0)::int AS adjustments
         FROM loop_events WHERE tenant_id = $1 AND created_at >= now() - make_interval(secs => $2::double precision * 3600)`,
      [tenantId, hours],
    );
    const resolution = await this.queries.execute(new GetResolutionStats(tenantId, hours));
    const runs = await this.queries.execute(new GetRunStats(tenantId, hours));
    const stages: Record<string, StageStats> = {};
    LOOP_STAGES.slice(1).forEach((s, i) => {
      stages[s] = { completed: loops[`c${i}`], failed: loops[`f${i}`], held: loops[`h${i}`], avgMs: round(loops[`a${i}`]) };
    });
    return {
      windowHours: hours,
      totalIncidents: loops.total,
      patternsMatched: events.matched,
      patternsCreated: events.created,
      recoveriesSuggested: events.suggested,
      recoveriesApplied: events.applied,
      policiesGenerated: events.policies,
      routingAdjustments: events.adjustments,
      avgLoopCompletionTimeMs: round(loops.avg_ms),
      p50LoopCompletionTimeMs: round(loops.p50),
      p95LoopCompletionTimeMs: round(loops.p95),
      p99LoopCompletionTimeMs: round(loops.p99),
      // Nothing reported, nothing left incomplete.
      loopCompletionRate: loops.total === 0 ? 1 : Math.round((loops.complete / loops.total) * 10_000) / 10_000,
      stages,
      mttrMs: resolution.mttrMs,
      resolveRate: resolution.resolveRate,
      autoApplySuccessRate: runs.autoApplySuccessRate,
      runs: runs.runs,
    };
  }
}
