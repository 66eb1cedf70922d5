import type { DomainEvent } from '../../platform/outbox/domain-event.js';
import type { IncidentAgent } from './incident-agent.js';
import type { StageTiming } from './stage-timing.js';

export interface PolicyGeneratedProps {
  tenantId: string;
  incidentId: string;
  policyId: string;
  patternId: string;
  recoveryId: string;
  category: string;
  action: string;
  status: string;
  confidence: number;
  isNewPolicy: boolean;
  timing: StageTiming;
  incidentAgent?: IncidentAgent;
}

/** Bridge 3's result: the pattern's prevention policy was created or updated. */
export interface PolicyGenerated extends PolicyGeneratedProps {}
export class PolicyGenerated implements DomainEvent {
  constructor(props: PolicyGeneratedProps) {
    Object.assign(this, props);
  }
}
