import { Query } from '@nestjs/cqrs';
import type { IncidentTimeline } from './timeline.view.js';

export interface GetIncidentTimelineProps {
  tenantId: string;
  incidentId: string;
}

/** Every decision that touched the incident, in time order; null when the tenant has no such incident. */
export interface GetIncidentTimeline extends GetIncidentTimelineProps {}
export class GetIncidentTimeline extends Query<IncidentTimeline | null> {
  constructor(props: GetIncidentTimelineProps) {
    super();
    Object.assign(this, props);
  }
}
