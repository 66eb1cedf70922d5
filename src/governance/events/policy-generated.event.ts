import type { IncidentAgent } from '../../incidents/events/incident-agent.js';
import type { StageTiming } from '../../integration/events/stage-timing.js';
import type { DomainEvent } from '../../platform/outbox/domain-event.js';

/** Bridge 3's result: the pattern's prevention policy was created or updated. */
export class PolicyGenerated implements DomainEvent {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string,
    readonly policyId: string,
    readonly patternId: string,
    readonly recoveryId: string,
    readonly category: string,
    readonly action: string,
    readonly status: string,
    readonly confidence: number,
    readonly isNewPolicy: boolean,
    readonly timing: StageTiming,
    readonly incidentAgent?: IncidentAgent,
  ) {}
}
