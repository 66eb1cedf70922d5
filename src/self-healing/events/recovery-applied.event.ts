import type { DomainEvent } from '../../platform/outbox/domain-event.js';

export interface RecoveryAppliedProps {
  tenantId: string;
  incidentId: string;
  patternId: string;
  recoveryId: string;
  appliedBy: string;
}

/** A reviewer approved a queued recovery; the policy is re-derived with that evidence. */
export interface RecoveryApplied extends RecoveryAppliedProps {}
export class RecoveryApplied implements DomainEvent {
  constructor(props: RecoveryAppliedProps) {
    Object.assign(this, props);
  }
}
