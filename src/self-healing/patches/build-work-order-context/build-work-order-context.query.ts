import { Query } from '@nestjs/cqrs';
import type { WorkOrderComplexity, WorkOrderContext, WorkOrderPriority } from '../work-order.view.js';

export interface WorkOrderBrief {
  context: WorkOrderContext;
  priority: WorkOrderPriority;
  complexity: WorkOrderComplexity;
}

export interface BuildWorkOrderContextProps {
  tenantId: string;
  incidentId: string;
  runId: string | null;
  /** Absent: none. */
  lastErrors?: string[];
  /** Absent: none. */
  filePath?: string | null;
}

/**
 * What a work order for this incident should carry: the incident, its pattern's template and a
 * few sample messages, the affected agents and capabilities, the run's last errors; its priority
 * (from the severity) and estimated complexity. Null: no such incident. For the `escalate`
 * executor and `POST /patches/trigger`, which pass the result to CreateWorkOrder.
 */
export interface BuildWorkOrderContext extends BuildWorkOrderContextProps {}
export class BuildWorkOrderContext extends Query<WorkOrderBrief | null> {
  constructor(props: BuildWorkOrderContextProps) {
    super();
    Object.assign(this, props);
  }
}
