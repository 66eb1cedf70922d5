import type { DomainEvent } from '../../platform/outbox/domain-event.js';

/** A policy was disabled; its routing adjustments were deactivated in the same transaction. */
export class PolicyDisabled implements DomainEvent {
  constructor(
    readonly tenantId: string,
    readonly policyId: string,
    readonly incidentId: string | null = null,
  ) {}
}
