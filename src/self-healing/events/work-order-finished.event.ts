import type { DomainEvent } from '../../platform/outbox/domain-event.js';

export interface WorkOrderFinishedProps {
  tenantId: string;
  workOrderId: string;
  incidentId: string | null;
  runId: string | null;
  stepId: string | null;
  /** Only a completion can pass; a failure never does. */
  testsPassed: boolean;
  outcome: 'completed' | 'failed' | 'canceled';
  /** Who canceled it (an operator, or the run withdrawing it); absent otherwise and in older events. */
  canceledBy?: string;
}

/**
 * A coding agent completed or failed a work order, or an operator canceled it. The run engine
 * finishes the waiting `escalate` step with it (succeeded only when completed with tests passing);
 * a cancel of a forward step's order cancels the run instead (FinishWaitingStep).
 */
export interface WorkOrderFinished extends WorkOrderFinishedProps {}
export class WorkOrderFinished implements DomainEvent {
  constructor(props: WorkOrderFinishedProps) {
    Object.assign(this, props);
  }
}
