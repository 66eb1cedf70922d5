import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { IncidentsRepository } from '../incidents.repository.js';
import { GetIncidentStates, type IncidentState } from './get-incident-states.query.js';

@QueryHandler(GetIncidentStates)
export class GetIncidentStatesHandler implements IQueryHandler<GetIncidentStates> {
  constructor(private readonly incidents: IncidentsRepository) {}

  execute({ tenantId, incidentIds }: GetIncidentStates): Promise<IncidentState[]> {
    return incidentIds.length === 0 ? Promise.resolve([]) : this.incidents.statesAmong(tenantId, incidentIds);
  }
}
