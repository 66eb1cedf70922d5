import { Command } from '@nestjs/cqrs';
import type { IncidentView } from '../../incident.view.js';

export interface AcknowledgeIncidentProps {
  tenantId: string;
  incidentId: string;
  /** Who acknowledged (see actorOf). */
  actor: string;
}

/** An operator says "I am on it": set once; acknowledging again is a conflict. */
export interface AcknowledgeIncident extends AcknowledgeIncidentProps {}
export class AcknowledgeIncident extends Command<IncidentView> {
  constructor(props: AcknowledgeIncidentProps) {
    super();
    Object.assign(this, props);
  }
}
