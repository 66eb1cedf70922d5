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

/** The tenant's incidents among `incidentIds` (missing ones are left out). */
export class GetIncidentSummaries extends Query<IncidentSummary[]> {
  constructor(
    readonly tenantId: string,
    readonly incidentIds: string[],
  ) {
    super();
  }
}
