import { AGENT_ROLE } from '../../../platform/auth/principal.js';
import type { RunRow, StepRow } from '../run.view.js';
import { isRetryCall } from './step-callback-tokens.js';

/**
 * Whether a person had a hand in a run (loop-health's escalations resolved without a person), read
 * from what the run and its steps keep, no history needed:
 * - a person started or approved it: it is not `automatic`;
 * - a person finished a step: the step waited for one (it ran as `manual` and started, a webhook or
 *   check without a configured actuator too), and only an operator finishes such a step;
 * - a person retried a failed step: its call id says so (`….retry-n`, kept after the retry);
 * - a person skipped a failed step: it is skipped and keeps the failure's error (the engine's own
 *   skips, of a step whose condition is false or of what a stopped run leaves, store none);
 * - a person completed or failed a step's work order (an escalate step's, a canary's handed over):
 *   the key that did is not a coding agent's (`agent`). Operators may claim and complete work
 *   orders (DESIGN §9); the step keeps the role of the key that finished its order
 *   (`output.finishedByRole`). One finished by a coding agent is the run's doing, not a person's;
 *   so is one whose finisher is not known (finished before the role was kept).
 */
export function personActedIn(run: Pick<RunRow, 'automatic'>, steps: readonly StepRow[]): boolean {
  return (
    !run.automatic ||
    steps.some(
      (x) =>
        (x.runs_as === 'manual' && x.started_at !== null) ||
        isRetryCall(x.webhook_id) ||
        (x.status === 'skipped' && x.error !== null) ||
        (x.work_order_id !== null && finishedByPerson(x.output)),
    )
  );
}

/** A step's output says its work order was finished by a key that is not a coding agent's. */
function finishedByPerson(output: unknown): boolean {
  const role = (output as { finishedByRole?: unknown } | null)?.finishedByRole;
  return typeof role === 'string' && role !== AGENT_ROLE;
}
