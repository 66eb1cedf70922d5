import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { GetResolutionStats } from '../../incidents/get-resolution-stats/get-resolution-stats.query.js';
import { GetRunStats } from '../../self-healing/runs/get-run-stats/get-run-stats.query.js';
import { LoopStatsReadModel } from '../loop-stats.read-model.js';
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
    private readonly loops: LoopStatsReadModel,
    private readonly queries: QueryBus,
  ) {}

  /** Loops per time bucket over the window (empty buckets included), for the console's charts. */
  async timeseries(
    tenantId: string,
    hours: number,
    buckets: number,
  ): Promise<{ windowHours: number; bucketMs: number; buckets: StatsBucket[] }> {
    const bucketMs = Math.max(1000, Math.ceil((hours * 3_600_000) / buckets));
    const rows = await this.loops.loopsPerBucket(tenantId, hours, bucketMs, buckets);
    return {
      windowHours: hours,
      bucketMs,
      buckets: rows.map((r) => ({
        start: r.start.toISOString(),
        incidents: r.incidents,
        completed: r.completed,
        avgLoopCompletionTimeMs: r.avg_ms === null ? null : round(r.avg_ms),
      })),
    };
  }

  async compute(tenantId: string, hours: number): Promise<IntegrationStats> {
    const loops = await this.loops.loopTotals(tenantId, hours);
    const events = await this.loops.eventTotals(tenantId, hours);
    const resolution = await this.queries.execute(new GetResolutionStats({ tenantId, hours }));
    const runs = await this.queries.execute(new GetRunStats({ tenantId, hours }));
    const stages: Record<string, StageStats> = {};
    LOOP_STAGES.slice(1).forEach((s, i) => {
      stages[s] = {
        completed: Number(loops[`c${i}`]),
        failed: Number(loops[`f${i}`]),
        held: Number(loops[`h${i}`]),
        avgMs: round(loops[`a${i}`]),
      };
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
