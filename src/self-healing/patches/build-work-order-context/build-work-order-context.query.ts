import { Query } from '@nestjs/cqrs';
import type { WorkOrderComplexity, WorkOrderContext, WorkOrderPriority } from '../work-order.view.js';

export interface WorkOrderBrief {
  context: WorkOrderContext;
  priority: WorkOrderPriority;
  complexity: WorkOrderComplexity;
}

/**
 * What a work order for this incident should carry: the incident, its pattern's template and a
 * few sample messages, the affected agents and capabilities, the run's last errors; its priority
 * (from the severity) and estimated complexity. Null: no such incident. For the `escalate`
 * executor and `POST /patches/trigger`, which pass the result to CreateWorkOrder.
 */
export class BuildWorkOrderContext extends Query<WorkOrderBrief | null> {
  readonly tenantId: string;
  readonly incidentId: string;
  readonly runId: string | null;
  readonly lastErrors: string[];
  readonly filePath: string | null;
  constructor(props: { tenantId: string; incidentId: string; runId: string | null; lastErrors?: string[]; filePath?: string | null }) {
    super();
    this.tenantId = props.tenantId;
    this.incidentId = props.incidentId;
    this.runId = props.runId;
    this.lastErrors = props.lastErrors ?? [];
    this.filePath = props.filePath ?? null;
  }
}
