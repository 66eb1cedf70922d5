import { Command } from '@nestjs/cqrs';
import type { RunView } from '../run.view.js';

/** What an operator does with a run paused on a failed step (DESIGN §13). */
export type PausedRunChoice =
  | { kind: 'retry'; stepId: string; params: Record<string, unknown> | null }
  | { kind: 'skip'; stepId: string }
  | { kind: 'rollback' };

export interface ActOnPausedRunProps {
  tenantId: string;
  runId: string;
  actor: string;
  choice: PausedRunChoice;
}

/**
 * An operator answers a run paused on a failed step: retry the step (with corrected parameters,
 * under a new webhook-id), skip it, or roll the run back. Recorded in the run's transitions and
 * audited; another tenant's run is 404, a run not paused on a failure (or another step) is 409.
 */
export interface ActOnPausedRun extends ActOnPausedRunProps {}
export class ActOnPausedRun extends Command<RunView> {
  constructor(props: ActOnPausedRunProps) {
    super();
    Object.assign(this, props);
  }
}
