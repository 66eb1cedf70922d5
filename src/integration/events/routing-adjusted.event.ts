import type { AdjustmentKey } from '../../governance/routing/apply-routing-adjustments/apply-routing-adjustments.command.js';
import type { DomainEvent } from '../../platform/outbox/domain-event.js';
import type { StageTiming } from './stage-timing.js';

export interface RoutingAdjustedProps {
  tenantId: string;
  incidentId: string | null;
  policyId: string;
  affectedAgents: string[];
  /** Writes, rewrites included: one adjustment rewritten by each incident of its pattern counts each time. */
  adjustmentCount: number;
  /** Which adjustments were written (absent from an event stored before it was carried). */
  adjustments?: AdjustmentKey[];
  timing: StageTiming;
}

/** Bridge 4's result: CARE routing now reflects the policy. Completes an incident's loop. */
export interface RoutingAdjusted extends RoutingAdjustedProps {}
export class RoutingAdjusted implements DomainEvent {
  constructor(props: RoutingAdjustedProps) {
    Object.assign(this, props);
  }
}
