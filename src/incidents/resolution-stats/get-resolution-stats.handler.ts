import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { GetResolutionStats, type ResolutionStats } from './get-resolution-stats.query.js';

@QueryHandler(GetResolutionStats)
export class GetResolutionStatsHandler implements IQueryHandler<GetResolutionStats> {
  constructor(private readonly tx: TransactionHost) {}

  async execute(q: GetResolutionStats): Promise<ResolutionStats> {
    const [r] = await this.tx.query<{ total: number; resolved: number; avg: number | null; p50: number | null; fastest: number | null; slowest: number | null }>(
      `WITH i AS (
         SELECT status, extract(epoch FROM resolved_at - occurred_at) * 1000 AS ms FROM incidents
          WHERE tenant_id = $1 AND created_at >= now() - make_interval(secs => $2::double precision * 3600))
       SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'resolved')::int AS resolved,
              avg(ms) AS avg, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, min(ms) AS fastest, max(ms) AS slowest
         FROM i`,
      [q.tenantId, q.hours],
    );
    const ms = (x: number | null) => Math.round(Number(x));
    return {
      incidents: r.total,
      resolved: r.resolved,
      resolveRate: r.total === 0 ? 1 : Math.round((r.resolved / r.total) * 10_000) / 10_000,
      mttrMs: r.resolved === 0 || r.avg === null ? null : { avg: ms(r.avg), p50: ms(r.p50), fastest: ms(r.fastest), slowest: ms(r.slowest) },
    };
  }
}
