import { Command } from '@nestjs/cqrs';
import type { RunView } from '../run.view.js';

/** Who finishes a waiting step: an operator (manual step), the actuator (late result after 202), the coding agent (work order). */
export type WaitingStepSource =
  | { kind: 'operator'; actor: string }
  | { kind: 'result'; token: string }
  /**
   * `canceledBy`: the work order was canceled, by that actor. `finishedByRole`: the role of the key
   * that completed or failed it (`agent`, or a person's); kept on the step, where the run reads
   * whether a person had a hand in it. `incidentResolved`: the run's incident was resolved before
   * the order finished (or the resolution withdrew it): by whom and when.
   */
  | {
      kind: 'work_order';
      workOrderId: string;
      canceledBy?: string;
      finishedByRole?: string;
      incidentResolved?: { by: string; at: string };
    };

export interface FinishWaitingStepProps {
  tenantId: string | null;
  runId: string;
  stepId: string;
  source: WaitingStepSource;
  outcome: 'succeeded' | 'failed';
  note: string | null;
  /** What the actuator or agent reported. */
  output?: unknown;
}

/**
 * Finishes a step the run is waiting on, once: a second report, one for a step that is not
 * waiting for that source, or an actuator's result for a call an operator's retry replaced, is
 * refused with 409; a wrong callback token with 401; another tenant's run is 404. The engine
 * moves the run on right after.
 */
export interface FinishWaitingStep extends FinishWaitingStepProps {}
export class FinishWaitingStep extends Command<RunView> {
  constructor(props: FinishWaitingStepProps) {
    super();
    Object.assign(this, props);
  }
}
