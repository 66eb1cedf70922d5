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
  /**
   * The role of the API key that completed or failed it: `agent` for a coding agent, another for a
   * person who did the work by hand. Absent when canceled, and in older events (read as an agent's).
   */
  finishedByRole?: string;
  /**
   * Set when its incident was resolved before the order finished: it was completed or failed after
   * the resolution, or withdrawn because of it. Nothing is left to verify its patch against (ADR
   * 0009). Who resolved the incident (`monitoring`, an operator, `run <id>`) and when (ISO). Absent
   * otherwise, on an operator's cancel, and in older events.
   */
  incidentResolvedBy?: string;
  incidentResolvedAt?: string;
}

/**
 * A coding agent (or a person, by hand) completed or failed a work order, or an operator canceled it. The run engine
 * finishes the waiting `escalate` step with it (succeeded only when completed with tests passing);
 * a cancel of a forward step's order, or any finish of one after its incident was resolved, cancels
 * the run instead (FinishWaitingStep).
 */
export interface WorkOrderFinished extends WorkOrderFinishedProps {}
export class WorkOrderFinished implements DomainEvent {
  constructor(props: WorkOrderFinishedProps) {
    Object.assign(this, props);
  }
}
