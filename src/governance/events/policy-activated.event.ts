import type { DomainEvent } from '../../platform/outbox/domain-event.js';

export interface PolicyActivatedProps {
  tenantId: string;
  policyId: string;
  /** Null: an admin's change belongs to no incident's loop. */
  incidentId: string | null;
}

/** A policy became active (an admin activated it). Bridge 4 makes its temporary adjustments lasting. */
export interface PolicyActivated extends PolicyActivatedProps {}
export class PolicyActivated implements DomainEvent {
  constructor(props: PolicyActivatedProps) {
    Object.assign(this, props);
  }
}
