import { Command } from '@nestjs/cqrs';
import type { IncidentView } from '../../incident.view.js';

/** An operator says "I am on it": set once; acknowledging again is a conflict. */
export class AcknowledgeIncident extends Command<IncidentView> {
  readonly tenantId: string;
  readonly incidentId: string;
  /** Who acknowledged (see actorOf). */
  readonly actor: string;

  constructor(props: { tenantId: string; incidentId: string; actor: string }) {
    super();
    ({ tenantId: this.tenantId, incidentId: this.incidentId, actor: this.actor } = props);
  }
}
