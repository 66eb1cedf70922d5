import { Query } from '@nestjs/cqrs';
import type { IncidentStatus, IncidentSource } from '../incident.view.js';

/** What another page shows of an incident it links to: a name people can tell apart, and where it stands. */
export interface IncidentSummary {
  id: string;
  title: string;
  status: IncidentStatus;
  source: IncidentSource;
  agentId: string | null;
  capability: string | null;
  createdAt: string;
}

export interface GetIncidentSummariesProps {
  tenantId: string;
  incidentIds: string[];
}

/** The tenant's incidents among `incidentIds` (missing ones are left out). */
export interface GetIncidentSummaries extends GetIncidentSummariesProps {}
export class GetIncidentSummaries extends Query<IncidentSummary[]> {
  constructor(props: GetIncidentSummariesProps) {
    super();
    Object.assign(this, props);
  }
}
