import { Query } from '@nestjs/cqrs';
import type { IncidentView } from '../incident.view.js';

/** One incident as the API shows it, or null when the tenant has no such incident. */
export class GetIncident extends Query<IncidentView | null> {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string,
  ) {
    super();
  }
}
