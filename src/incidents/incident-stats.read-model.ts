import { Injectable } from '@nestjs/common';
import { bucketOf, inBuckets, type TimeBuckets } from '../platform/database/time-buckets.js';
import { TransactionHost } from '../platform/database/transaction-host.js';
import { RESOLVED_BY_RUN_SQL } from './lifecycle/resolve-incident/resolve-incident.command.js';

export interface ReportedRow {
  b: number;
  n: number;
}

export interface ResolvedRow {
  b: number;
  p50: number | null;
  p90: number | null;
  fix50: number | null;
  esc: number;
  esc_auto: number;
}

export interface ResolutionRow {
  total: number;
  resolved: number;
  avg: number | null;
  p50: number | null;
  fastest: number | null;
  slowest: number | null;
}

/** Aggregate reads of the incidents table for the dashboards: per time bucket, and over a window. */
@Injectable()
export class IncidentStatsReadModel {
  constructor(private readonly tx: TransactionHost) {}

  /** Incidents reported (created) per bucket. */
  reported(tenantId: string, frame: TimeBuckets): Promise<ReportedRow[]> {
    return this.tx.query<ReportedRow>(
      `SELECT ${bucketOf('created_at', '$2', '$3')} AS b, count(*)::int AS n FROM incidents
        WHERE tenant_id = $1 AND ${inBuckets('created_at', '$2', '$3', '$4')} GROUP BY 1`,
      [tenantId, frame.from, frame.bucketMs, frame.count],
    );
  }

  /**
   * Of the incidents resolved per bucket: MTTR percentiles, detection-to-fix of those a run resolved,
   * escalations, and those of them resolved without a person: by monitoring, or by a run no person
   * had a hand in (the run said so as it resolved the incident; unknown counts as a person's).
   */
  resolved(tenantId: string, frame: TimeBuckets): Promise<ResolvedRow[]> {
    return this.tx.query<ResolvedRow>(
      `WITH r AS (
         SELECT ${bucketOf('resolved_at', '$2', '$3')} AS b, resolved_by, source, run_person_acted,
                extract(epoch FROM resolved_at - occurred_at) * 1000 AS mttr, extract(epoch FROM resolved_at - created_at) * 1000 AS to_fix
           FROM incidents WHERE tenant_id = $1 AND status = 'resolved' AND ${inBuckets('resolved_at', '$2', '$3', '$4')})
       SELECT b, percentile_cont(0.5) WITHIN GROUP (ORDER BY mttr) AS p50, percentile_cont(0.9) WITHIN GROUP (ORDER BY mttr) AS p90,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY to_fix) FILTER (WHERE ${RESOLVED_BY_RUN_SQL}) AS fix50,
              count(*) FILTER (WHERE source = 'degradation')::int AS esc,
              count(*) FILTER (WHERE source = 'degradation' AND (resolved_by = 'monitoring'
                OR (${RESOLVED_BY_RUN_SQL} AND run_person_acted = false)))::int AS esc_auto
         FROM r GROUP BY b`,
      [tenantId, frame.from, frame.bucketMs, frame.count],
    );
  }

  /** How the incidents reported in the last `hours` were resolved (MTTR = resolvedAt − occurredAt). */
  async resolution(tenantId: string, hours: number): Promise<ResolutionRow> {
    const [r] = await this.tx.query<ResolutionRow>(
      `WITH i AS (
         SELECT status, extract(epoch FROM resolved_at - occurred_at) * 1000 AS ms FROM incidents
          WHERE tenant_id = $1 AND created_at >= now() - make_interval(secs => $2::double precision * 3600))
       SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'resolved')::int AS resolved,
              avg(ms) AS avg, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, min(ms) AS fastest, max(ms) AS slowest
         FROM i`,
      [tenantId, hours],
    );
    return r;
  }
}
