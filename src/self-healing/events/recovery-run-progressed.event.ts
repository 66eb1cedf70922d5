import type { DomainEvent } from '../../platform/outbox/domain-event.js';

export interface RecoveryRunProgressedProps {
  tenantId: string;
  runId: string;
  incidentId: string | null;
  status: string;
  phase: string;
  /** The step that changed (null: the run itself changed). */
  stepId: string | null;
  stepStatus: string | null;
  attempt: number | null;
  error: string | null;
  note: string | null;
  at: string;
}

/** A run or one of its steps changed state: for the tenant's live stream (`run_progress`). */
export interface RecoveryRunProgressed extends RecoveryRunProgressedProps {}
export class RecoveryRunProgressed implements DomainEvent {
  constructor(props: RecoveryRunProgressedProps) {
    Object.assign(this, props);
  }
}
