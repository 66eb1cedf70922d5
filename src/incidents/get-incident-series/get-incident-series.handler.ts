import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { perBucket } from '../../platform/database/time-buckets.js';
import { IncidentStatsReadModel } from '../incident-stats.read-model.js';
import { GetIncidentSeries, type IncidentSeries } from './get-incident-series.query.js';

const ms = (x: number | null) => (x === null ? null : Math.round(Number(x)));

@QueryHandler(GetIncidentSeries)
export class GetIncidentSeriesHandler implements IQueryHandler<GetIncidentSeries> {
  constructor(private readonly stats: IncidentStatsReadModel) {}

  async execute({ tenantId, frame }: GetIncidentSeries): Promise<IncidentSeries> {
    const reported = await this.stats.reported(tenantId, frame);
    const resolved = await this.stats.resolved(tenantId, frame);
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
