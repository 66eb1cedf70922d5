import type { DomainEvent } from '../../platform/outbox/domain-event.js';

export interface WorkOrderChangedProps {
  tenantId: string;
  workOrderId: string;
  incidentId: string | null;
  runId: string | null;
  /** created, claimed, progress, completed, failed, canceled, claim_expired. */
  change: string;
  status: string;
  actor: string;
  summary: string;
  at: string;
}

/** A work order was created or changed state (or an agent reported progress): for timelines and live consoles. */
export interface WorkOrderChanged extends WorkOrderChangedProps {}
export class WorkOrderChanged implements DomainEvent {
  constructor(props: WorkOrderChangedProps) {
    Object.assign(this, props);
  }
}
