import { Command } from '@nestjs/cqrs';
import type { Role } from '../../../platform/auth/principal.js';
import type { WorkOrderResult, WorkOrderView } from '../work-order.view.js';

/** Progress, complete and fail present the token their claim returned. */
export type ClaimantAction =
  | { kind: 'progress'; claimToken: string | null; note: string; percent: number | null }
  | { kind: 'complete'; claimToken: string | null; result: WorkOrderResult }
  | { kind: 'fail'; claimToken: string | null; reason: string };
export type WorkOrderAction = { kind: 'claim' } | ClaimantAction | { kind: 'cancel'; reason: string };

export interface ActOnWorkOrderProps {
  tenantId: string;
  workOrderId: string;
  keyId: string;
  actor: string;
  /** The role of the acting key (a coding agent's is `agent`); null for the run engine itself. */
  role: Role | null;
  action: WorkOrderAction;
}

/**
 * One step of a work order's life by its claimant (claim, progress, complete, fail) or by an
 * operator or the run engine (cancel). A claim answers with a claim token (shown once); the
 * claimant's other actions need it and the same API key (`keyId`).
 */
export interface ActOnWorkOrder extends ActOnWorkOrderProps {}
export class ActOnWorkOrder extends Command<WorkOrderView & { claimToken?: string }> {
  constructor(props: ActOnWorkOrderProps) {
    super();
    Object.assign(this, props);
  }
}
