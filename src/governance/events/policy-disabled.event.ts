import type { DomainEvent } from '../../platform/outbox/domain-event.js';

export interface PolicyDisabledProps {
  tenantId: string;
  policyId: string;
  /** Null: an admin's change belongs to no incident's loop. */
  incidentId: string | null;
}

/** A policy was disabled; its routing adjustments were deactivated in the same transaction. */
export interface PolicyDisabled extends PolicyDisabledProps {}
export class PolicyDisabled implements DomainEvent {
  constructor(props: PolicyDisabledProps) {
    Object.assign(this, props);
  }
}
