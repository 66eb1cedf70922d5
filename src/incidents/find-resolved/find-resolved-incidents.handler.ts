import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { IncidentsRepository } from '../incidents.repository.js';
import { FindResolvedIncidents } from './find-resolved-incidents.query.js';

@QueryHandler(FindResolvedIncidents)
export class FindResolvedIncidentsHandler implements IQueryHandler<FindResolvedIncidents> {
  constructor(private readonly incidents: IncidentsRepository) {}

  execute({ tenantId, incidentIds, holdUntilCommit }: FindResolvedIncidents): Promise<string[]> {
    return incidentIds.length === 0
      ? Promise.resolve([])
      : this.incidents.resolvedAmong(tenantId, incidentIds, holdUntilCommit ?? false);
  }
}
