import { Command } from '@nestjs/cqrs';
import type { WorkOrderComplexity, WorkOrderContext, WorkOrderPriority, WorkOrderView } from '../work-order.view.js';

export interface CreateWorkOrderProps {
  tenantId: string;
  /** The run whose `escalate` step waits on it (null: raised outside a run). */
  runId: string | null;
  incidentId: string | null;
  stepId: string | null;
  description: string;
  context: WorkOrderContext;
  priority: WorkOrderPriority;
  complexity: WorkOrderComplexity;
  /** Who raised it, for the history (default `run <runId>`). */
  actor?: string;
}

/** Queues a work order for a coding agent (the run engine's `escalate` executor). */
export interface CreateWorkOrder extends CreateWorkOrderProps {}
export class CreateWorkOrder extends Command<WorkOrderView> {
  constructor(props: CreateWorkOrderProps) {
    super();
    Object.assign(this, props);
  }
}
