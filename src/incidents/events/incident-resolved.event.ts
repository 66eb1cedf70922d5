import type { DomainEvent } from '../../platform/outbox/domain-event.js';
import type { IncidentSource } from '../incident.view.js';

export interface IncidentResolvedProps {
  tenantId: string;
  incidentId: string;
  /** An operator's actor string, `run <id>`, or `monitoring`. */
  resolvedBy: string;
  resolvedAt: string;
  /** Where the incident came from: a pillar whose waiting work only one source raises takes only its events. */
  source: IncidentSource;
}

/** An incident was resolved (by a person, a verified run or monitoring): what still waited on it stops waiting. */
export interface IncidentResolved extends IncidentResolvedProps {}
export class IncidentResolved implements DomainEvent {
  constructor(props: IncidentResolvedProps) {
    Object.assign(this, props);
  }
}
