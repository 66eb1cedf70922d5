import { Command } from '@nestjs/cqrs';
import type { WorkOrderResult, WorkOrderView } from '../work-order.view.js';

export type WorkOrderAction =
  | { kind: 'claim' }
  | { kind: 'progress'; note: string; percent: number | null }
  | { kind: 'complete'; result: WorkOrderResult }
  | { kind: 'fail'; reason: string }
  | { kind: 'cancel'; reason: string };

/**
 * One step of a work order's life by its claimant (claim, progress, complete, fail) or by an
 * operator or the run engine (cancel). `keyId` identifies the claimant: the API key.
 */
export class ActOnWorkOrder extends Command<WorkOrderView> {
  readonly tenantId: string;
  readonly workOrderId: string;
  readonly keyId: string;
  readonly actor: string;
  readonly action: WorkOrderAction;
  constructor(props: { tenantId: string; workOrderId: string; keyId: string; actor: string; action: WorkOrderAction }) {
    super();
    this.tenantId = props.tenantId;
    this.workOrderId = props.workOrderId;
    this.keyId = props.keyId;
    this.actor = props.actor;
    this.action = props.action;
  }
}
