import type { DomainEvent } from '../../platform/outbox/domain-event.js';

export interface RecoveryRunFinishedProps {
  tenantId: string;
  runId: string;
  incidentId: string | null;
  recoveryId: string | null;
  patternId: string | null;
  agentId: string | null;
  capability: string | null;
  playbook: string;
  outcome: 'succeeded' | 'failed' | 'rolled_back' | 'rollback_failed' | 'canceled';
  automatic: boolean;
  reason: string | null;
  /** A rollback step failed: with `rollback_failed`, and with `canceled` when a canceled run's rollback failed. */
  rollbackFailed?: boolean;
  /**
   * A deadline stopped the run: its own, or a step's (whatever the outcome: a run nobody answered ends
   * `canceled`, ADR 0014). Absent on events stored before it was added; their reason tells.
   */
  timedOut?: boolean;
}

/** A run ended (published by the run engine in the finishing transaction); trust learns from it. */
export interface RecoveryRunFinished extends RecoveryRunFinishedProps {}
export class RecoveryRunFinished implements DomainEvent {
  constructor(props: RecoveryRunFinishedProps) {
    Object.assign(this, props);
  }
}
