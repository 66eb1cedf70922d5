import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { incidentView } from '../incident.view.js';
import { IncidentsRepository } from '../incidents.repository.js';
import { GetIncident } from './get-incident.query.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@QueryHandler(GetIncident)
export class GetIncidentHandler implements IQueryHandler<GetIncident> {
  constructor(private readonly incidents: IncidentsRepository) {}

  async execute({ tenantId, incidentId }: GetIncident) {
    // Not an id this table could hold: no such incident (rather than a uuid cast error).
    if (!UUID.test(incidentId)) return null;
    const row = await this.incidents.find(tenantId, incidentId);
    return row ? incidentView(row) : null;
  }
}
