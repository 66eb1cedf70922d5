import { Query } from '@nestjs/cqrs';
import type { IncidentView } from '../incident.view.js';

export interface GetIncidentProps {
  tenantId: string;
  incidentId: string;
}

/** One incident as the API shows it, or null when the tenant has no such incident. */
export interface GetIncident extends GetIncidentProps {}
export class GetIncident extends Query<IncidentView | null> {
  constructor(props: GetIncidentProps) {
    super();
    Object.assign(this, props);
  }
}
