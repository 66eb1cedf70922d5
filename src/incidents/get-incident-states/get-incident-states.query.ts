import { Query } from '@nestjs/cqrs';
import type { IncidentStatus } from '../incident.view.js';

/** Where an incident stands, and how severe it is: all another pillar needs to weigh what waits on it. */
export interface IncidentState {
  id: string;
  status: IncidentStatus;
  severity: string;
}

export interface GetIncidentStatesProps {
  tenantId: string;
  incidentIds: string[];
}

/** The states of the tenant's incidents among `incidentIds` (missing ones are left out). */
export interface GetIncidentStates extends GetIncidentStatesProps {}
export class GetIncidentStates extends Query<IncidentState[]> {
  constructor(props: GetIncidentStatesProps) {
    super();
    Object.assign(this, props);
  }
}
