import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { IncidentsRepository } from '../incidents.repository.js';
import { FindRecentAlertResolutions, type AlertResolution } from './find-recent-alert-resolutions.query.js';

@QueryHandler(FindRecentAlertResolutions)
export class FindRecentAlertResolutionsHandler implements IQueryHandler<FindRecentAlertResolutions> {
  constructor(private readonly incidents: IncidentsRepository) {}

  execute({ tenantId, fingerprints, withinMs }: FindRecentAlertResolutions): Promise<Map<string, AlertResolution>> {
    return fingerprints.length === 0
      ? Promise.resolve(new Map())
      : this.incidents.lastResolutionsByMonitoring(tenantId, fingerprints, withinMs);
  }
}
