import type { DomainEvent } from '../../platform/outbox/domain-event.js';
import type { SuggestedPlaybook } from '../../self-healing/recovery/suggest-recovery/suggest-recovery.command.js';
import type { IncidentAgent } from './incident-agent.js';
import type { StageTiming } from './stage-timing.js';

export interface RecoverySuggestedProps {
  tenantId: string;
  incidentId: string;
  patternId: string;
  recoveryId: string;
  playbookId: string;
  suggestionType: 'template' | 'generated';
  confidence: number;
  autoApplied: boolean;
  timing: StageTiming;
  incidentAgent?: IncidentAgent;
  /** Absent on events stored before it was carried: bridge 3 then reads the recovery. */
  playbook?: SuggestedPlaybook;
}

/** Bridge 2's result: a recovery was suggested, and either auto-applied or queued for review. */
export interface RecoverySuggested extends RecoverySuggestedProps {}
export class RecoverySuggested implements DomainEvent {
  constructor(props: RecoverySuggestedProps) {
    Object.assign(this, props);
  }
}
