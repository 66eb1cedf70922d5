import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { GetIncidentSeries } from '../../incidents/incident-series/get-incident-series.query.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { bucketOf, inBuckets, lastBuckets, perBucket } from '../../platform/database/time-buckets.js';
import { GetRunSeries } from '../../self-healing/runs/run-series/get-run-series.query.js';
import { HEALTH_RANGES, runsAt, type HealthRange, type LoopHealth } from './loop-health.view.js';

const ratio = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);

/** The loop's health per time bucket: each pillar aggregates its own rows, this joins the series. */
@Injectable()
export class LoopHealthService {
  constructor(
    private readonly tx: TransactionHost,
    private readonly queries: QueryBus,
  ) {}

  async compute(tenantId: string, range: HealthRange, now = new Date()): Promise<LoopHealth> {
    const { bucketMs, count } = HEALTH_RANGES[range];
    const frame = lastBuckets(now, bucketMs, count);
    const incidents = await this.queries.execute(new GetIncidentSeries(tenantId, frame));
    const runs = await this.queries.execute(new GetRunSeries(tenantId, frame));
    // From the loop's own history: an incident matched a pattern whose policy was already active.
    const repeats = await this.tx.query<{ b: number; n: number }>(
      `WITH matched AS (
         SELECT incident_id, details ->> 'patternId' AS pattern_id, created_at FROM loop_events WHERE tenant_id = $1 AND event_type = 'PatternMatched'),
       policy AS (
         SELECT m.pattern_id, min(e.created_at) AS active_at FROM loop_events e JOIN matched m ON m.incident_id = e.incident_id
          WHERE e.tenant_id = $1 AND e.event_type = 'PolicyGenerated' AND e.details ->> 'status' = 'active' GROUP BY m.pattern_id)
       SELECT ${bucketOf('m.created_at', '$2', '$3')} AS b, count(*)::int AS n
         FROM matched m JOIN policy p ON p.pattern_id = m.pattern_id
        WHERE m.created_at > p.active_at AND ${inBuckets('m.created_at', '$2', '$3', '$4')} GROUP BY 1`,
      [tenantId, frame.from, frame.bucketMs, frame.count],
    );
    const repeatCounts = perBucket(frame, repeats, (r) => r.n, 0);
    return {
      range,
      bucketMs,
      from: frame.from.toISOString(),
      to: new Date(frame.from.getTime() + count * bucketMs).toISOString(),
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
        escalationsWithoutPersonRate: ratio(incidents.escalationsResolvedWithoutPerson[i], incidents.escalationsResolved[i]),
        runs: runsAt(runs.runsByStatus, i),
      })),
    };
  }
}
