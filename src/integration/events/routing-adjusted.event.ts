import type { DomainEvent } from '../../platform/outbox/domain-event.js';
import type { StageTiming } from './stage-timing.js';

export interface RoutingAdjustedProps {
  tenantId: string;
  incidentId: string | null;
  policyId: string;
  affectedAgents: string[];
  adjustmentCount: number;
  timing: StageTiming;
}

/** Bridge 4's result: CARE routing now reflects the policy. Completes an incident's loop. */
export interface RoutingAdjusted extends RoutingAdjustedProps {}
export class RoutingAdjusted implements DomainEvent {
  constructor(props: RoutingAdjustedProps) {
    Object.assign(this, props);
  }
}
