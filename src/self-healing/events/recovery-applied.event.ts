import type { DomainEvent } from '../../platform/outbox/domain-event.js';

/** A reviewer approved a queued recovery; the policy is re-derived with that evidence. */
export class RecoveryApplied implements DomainEvent {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string,
    readonly patternId: string,
    readonly recoveryId: string,
    readonly appliedBy: string,
  ) {}
}
