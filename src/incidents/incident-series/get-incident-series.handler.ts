import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { bucketOf, inBuckets, perBucket } from '../../platform/database/time-buckets.js';
import { GetIncidentSeries, type IncidentSeries } from './get-incident-series.query.js';

const ms = (x: number | null) => (x === null ? null : Math.round(Number(x)));

@QueryHandler(GetIncidentSeries)
export class GetIncidentSeriesHandler implements IQueryHandler<GetIncidentSeries> {
  constructor(private readonly tx: TransactionHost) {}

  async execute({ tenantId, frame }: GetIncidentSeries): Promise<IncidentSeries> {
    const params = [tenantId, frame.from, frame.bucketMs, frame.count];
    const reported = await this.tx.query<{ b: number; n: number }>(
      `SELECT ${bucketOf('created_at', '$2', '$3')} AS b, count(*)::int AS n FROM incidents
        WHERE tenant_id = $1 AND ${inBuckets('created_at', '$2', '$3', '$4')} GROUP BY 1`,
      params,
    );
    const resolved = await this.tx.query<{ b: number; p50: number | null; p90: number | null; fix50: number | null; esc: number; esc_auto: number }>(
      `WITH r AS (
         SELECT ${bucketOf('resolved_at', '$2', '$3')} AS b, resolved_by, source,
                extract(epoch FROM resolved_at - occurred_at) * 1000 AS mttr, extract(epoch FROM resolved_at - created_at) * 1000 AS to_fix
           FROM incidents WHERE tenant_id = $1 AND status = 'resolved' AND ${inBuckets('resolved_at', '$2', '$3', '$4')})
       SELECT b, percentile_cont(0.5) WITHIN GROUP (ORDER BY mttr) AS p50, percentile_cont(0.9) WITHIN GROUP (ORDER BY mttr) AS p90,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY to_fix) FILTER (WHERE resolved_by LIKE 'run %') AS fix50,
              count(*) FILTER (WHERE source = 'degradation')::int AS esc,
              count(*) FILTER (WHERE source = 'degradation' AND (resolved_by LIKE 'run %' OR resolved_by = 'monitoring'))::int AS esc_auto
         FROM r GROUP BY b`,
      params,
    );
    return {
      incidents: perBucket(frame, reported, (r) => r.n, 0),
      mttrP50Ms: perBucket(frame, resolved, (r) => ms(r.p50), null),
      mttrP90Ms: perBucket(frame, resolved, (r) => ms(r.p90), null),
      detectionToFixP50Ms: perBucket(frame, resolved, (r) => ms(r.fix50), null),
      escalationsResolved: perBucket(frame, resolved, (r) => r.esc, 0),
      escalationsResolvedWithoutPerson: perBucket(frame, resolved, (r) => r.esc_auto, 0),
    };
  }
}
