import type { DomainEvent } from '../../platform/outbox/domain-event.js';

/**
 * The shape agreed in CONTRACTS.md with the recovery-run engine (branch i12), which publishes it
 * when a run ends. Defined here first so trust can be wired to it; the engine's own file replaces
 * this one when it lands.
 */
export interface RecoveryRunFinishedProps {
  tenantId: string;
  runId: string;
  incidentId: string;
  recoveryId: string;
  patternId: string;
  agentId: string | null;
  capability: string | null;
  playbook: string;
  outcome: 'succeeded' | 'failed' | 'rolled_back' | 'rollback_failed' | 'canceled';
  automatic: boolean;
  reason: string | null;
}

export interface RecoveryRunFinished extends RecoveryRunFinishedProps {}
export class RecoveryRunFinished implements DomainEvent {
  constructor(props: RecoveryRunFinishedProps) {
    Object.assign(this, props);
  }
}
