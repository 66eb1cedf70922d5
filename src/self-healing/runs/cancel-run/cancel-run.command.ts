import { Command } from '@nestjs/cqrs';
import type { RunView } from '../run.view.js';

export interface CancelRunProps {
  tenantId: string;
  runId: string;
  actor: string;
}

/** An operator stops a run: it stops between steps (a call in flight finishes first), then its rollback runs. */
export interface CancelRun extends CancelRunProps {}
export class CancelRun extends Command<RunView> {
  constructor(props: CancelRunProps) {
    super();
    Object.assign(this, props);
  }
}
