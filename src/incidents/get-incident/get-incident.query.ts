import { Query } from '@nestjs/cqrs';

/** The few facts about an incident other modules need, or null when the tenant has no such incident. */
export class GetIncident extends Query<{ id: string; matchedPatternId: string | null; agentId: string | null; capability: string | null; createdAt: string } | null> {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string,
  ) {
    super();
  }
}
