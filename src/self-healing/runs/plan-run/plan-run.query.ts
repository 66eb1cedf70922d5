import { Query } from '@nestjs/cqrs';
import type { RunPlan } from './run-plan.view.js';

/** What to plan: the run approving a recovery would start, or the one POST /patches/trigger starts for a problem. */
export type PlanSource =
  { kind: 'recovery'; recoveryId: string } | { kind: 'problem'; description: string; errorType: string };

export interface PlanRunProps {
  tenantId: string;
  source: PlanSource;
}

/**
 * A dry run (DESIGN §13): the plan of the run a recovery or a reported problem would start, with
 * the guardrails and the kill switch as they stand now. Reads only: nothing is called, nothing
 * written. Another tenant's recovery is 404.
 */
export interface PlanRun extends PlanRunProps {}
export class PlanRun extends Query<RunPlan> {
  constructor(props: PlanRunProps) {
    super();
    Object.assign(this, props);
  }
}
