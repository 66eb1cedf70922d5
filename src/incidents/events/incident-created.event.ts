import type { DomainEvent } from '../../platform/outbox/domain-event.js';

/** An incident was reported; starts its loop. */
export class IncidentCreated implements DomainEvent {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string,
    readonly errorType: string,
    readonly message: string,
    readonly agentId: string | null,
    readonly capability: string | null,
    readonly severity: string,
    readonly occurredAt: string,
    readonly createdAt: string,
  ) {}
}
