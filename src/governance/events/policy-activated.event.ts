import type { DomainEvent } from '../../platform/outbox/domain-event.js';

/** A policy became active (an admin activated it). Bridge 4 makes its temporary adjustments lasting. */
export class PolicyActivated implements DomainEvent {
  constructor(
    readonly tenantId: string,
    readonly policyId: string,
    readonly incidentId: string | null = null,
  ) {}
}
