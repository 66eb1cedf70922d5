import type { DomainEvent } from '../../platform/outbox/domain-event.js';

export interface IncidentCreatedProps {
  tenantId: string;
  incidentId: string;
  errorType: string;
  message: string;
  agentId: string | null;
  capability: string | null;
  severity: string;
  occurredAt: string;
  createdAt: string;
}

/** An incident was reported; starts its loop. */
export interface IncidentCreated extends IncidentCreatedProps {}
export class IncidentCreated implements DomainEvent {
  constructor(props: IncidentCreatedProps) {
    Object.assign(this, props);
  }
}
