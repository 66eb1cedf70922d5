import { Query } from '@nestjs/cqrs';
import type { IncidentTimeline } from './timeline.view.js';

/** Every decision that touched the incident, in time order; null when the tenant has no such incident. */
export class GetIncidentTimeline extends Query<IncidentTimeline | null> {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string,
  ) {
    super();
  }
}
