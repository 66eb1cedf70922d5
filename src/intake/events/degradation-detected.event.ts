import type { DomainEvent } from '../../platform/outbox/domain-event.js';

export interface DegradationDetectedProps {
  tenantId: string;
  /** The incident the escalation reported into the loop. */
  incidentId: string;
  escalationId: string;
  metric: string;
  agentId: string | null;
  capability: string | null;
  /** critical when any of its symptoms was. */
  severity: 'warning' | 'critical';
  /** What the incident says: the metric, the symptoms and their deltas. */
  message: string;
  armedAt: string;
  expiresAt: string;
}

/** Enough symptoms of one kind for one agent armed a degradation escalation (DESIGN §10). */
export interface DegradationDetected extends DegradationDetectedProps {}
export class DegradationDetected implements DomainEvent {
  constructor(props: DegradationDetectedProps) {
    Object.assign(this, props);
  }
}
