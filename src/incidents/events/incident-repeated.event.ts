import type { DomainEvent } from '../../platform/outbox/domain-event.js';

export interface IncidentRepeatedProps {
  tenantId: string;
  incidentId: string;
  /** When the repeat was reported (the alert's fingerprint matched the unresolved incident). */
  seenAt: string;
  repeatCount: number;
}

/**
 * Monitoring reported an unresolved incident's alert again (deduplicated by fingerprint onto it,
 * DESIGN §10): the fault is still there. A recovery run watching that incident fails on it.
 */
export interface IncidentRepeated extends IncidentRepeatedProps {}
export class IncidentRepeated implements DomainEvent {
  constructor(props: IncidentRepeatedProps) {
    Object.assign(this, props);
  }
}
