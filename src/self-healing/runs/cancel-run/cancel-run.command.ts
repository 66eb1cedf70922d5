import { Command } from '@nestjs/cqrs';
import type { RunView } from '../run.view.js';

export interface CancelRunProps {
  tenantId: string;
  runId: string;
  actor: string;
}

/**
 * An operator stops a run: it stops between steps (a call in flight finishes first), then its rollback
 * runs. A failure the run already holds (a failed step, a recurrence) still fails it: the cancel does not
 * erase that verdict; once an operator asked for the rollback of a paused run, the cancel is a 409.
 */
export interface CancelRun extends CancelRunProps {}
export class CancelRun extends Command<RunView> {
  constructor(props: CancelRunProps) {
    super();
    Object.assign(this, props);
  }
}
