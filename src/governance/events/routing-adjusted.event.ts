import type { StageTiming } from '../../integration/events/stage-timing.js';
import type { DomainEvent } from '../../platform/outbox/domain-event.js';

/** Bridge 4's result: CARE routing now reflects the policy. Completes an incident's loop. */
export class RoutingAdjusted implements DomainEvent {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string | null,
    readonly policyId: string,
    readonly affectedAgents: string[],
    readonly adjustmentCount: number,
    readonly timing: StageTiming,
  ) {}
}
