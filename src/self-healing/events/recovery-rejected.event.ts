import type { DomainEvent } from '../../platform/outbox/domain-event.js';

export interface RecoveryRejectedProps {
  tenantId: string;
  incidentId: string;
  patternId: string;
  recoveryId: string;
  rejectedBy: string;
}

/** A reviewer rejected a queued recovery: it no longer waits in the inbox. */
export interface RecoveryRejected extends RecoveryRejectedProps {}
export class RecoveryRejected implements DomainEvent {
  constructor(props: RecoveryRejectedProps) {
    Object.assign(this, props);
  }
}
