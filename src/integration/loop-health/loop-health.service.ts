import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { GetPolicyActivePeriods } from '../../governance/policies/get-policy-active-periods/get-policy-active-periods.query.js';
import { GetIncidentSeries } from '../../incidents/get-incident-series/get-incident-series.query.js';
import { lastBuckets, perBucket } from '../../platform/database/time-buckets.js';
import { GetRunSeries } from '../../self-healing/runs/get-run-series/get-run-series.query.js';
import { LoopStatsReadModel } from '../loop-stats.read-model.js';
import { HEALTH_RANGES, runsAt, type HealthRange, type LoopHealth } from './loop-health.view.js';

const ratio = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);

/** The loop's health per time bucket: each pillar aggregates its own rows, this joins the series. */
@Injectable()
export class LoopHealthService {
  constructor(
    private readonly loops: LoopStatsReadModel,
    private readonly queries: QueryBus,
  ) {}

  async compute(tenantId: string, range: HealthRange, now = new Date()): Promise<LoopHealth> {
    const { bucketMs, count } = HEALTH_RANGES[range];
    const frame = lastBuckets(now, bucketMs, count);
    const incidents = await this.queries.execute(new GetIncidentSeries({ tenantId, frame }));
    const runs = await this.queries.execute(new GetRunSeries({ tenantId, frame }));
    // An incident matched a pattern whose policy was active when it was reported: the loop's
    // history says which pattern and policy, governance's status history when that policy was active.
    const to = new Date(frame.from.getTime() + count * bucketMs);
    const periods = await this.queries.execute(new GetPolicyActivePeriods({ tenantId, from: frame.from, until: to }));
    const repeats = await this.loops.repeatsAfterPolicy(tenantId, frame, periods);
    const repeatCounts = perBucket(frame, repeats, (r) => r.n, 0);
    return {
      range,
      bucketMs,
      from: frame.from.toISOString(),
      to: to.toISOString(),
      autoApplySuccessTarget: 0.9,
      buckets: Array.from({ length: count }, (_, i) => ({
        start: new Date(frame.from.getTime() + i * bucketMs).toISOString(),
        incidents: incidents.incidents[i],
        repeatIncidentsAfterPolicy: repeatCounts[i],
        autoApplySuccessRate: ratio(runs.autoSucceeded[i], runs.autoVerdicts[i]),
        autoApplyVerdicts: runs.autoVerdicts[i],
        verifiedPrecision: ratio(runs.verifiedKnown[i] - runs.verifiedRecurred[i], runs.verifiedKnown[i]),
        mttrP50Ms: incidents.mttrP50Ms[i],
        mttrP90Ms: incidents.mttrP90Ms[i],
        detectionToFixP50Ms: incidents.detectionToFixP50Ms[i],
        escalationsWithoutPersonRate: ratio(
          incidents.escalationsResolvedWithoutPerson[i],
          incidents.escalationsResolved[i],
        ),
        runs: runsAt(runs.runsByStatus, i),
      })),
    };
  }
}
