import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { IncidentStatsReadModel } from '../incident-stats.read-model.js';
import { GetResolutionStats, type ResolutionStats } from './get-resolution-stats.query.js';

@QueryHandler(GetResolutionStats)
export class GetResolutionStatsHandler implements IQueryHandler<GetResolutionStats> {
  constructor(private readonly stats: IncidentStatsReadModel) {}

  async execute(q: GetResolutionStats): Promise<ResolutionStats> {
    const r = await this.stats.resolution(q.tenantId, q.hours);
    const ms = (x: number | null) => Math.round(Number(x));
    return {
      incidents: r.total,
      resolved: r.resolved,
      resolveRate: r.total === 0 ? 1 : Math.round((r.resolved / r.total) * 10_000) / 10_000,
      mttrMs:
        r.resolved === 0 || r.avg === null
          ? null
          : { avg: ms(r.avg), p50: ms(r.p50), fastest: ms(r.fastest), slowest: ms(r.slowest) },
    };
  }
}
