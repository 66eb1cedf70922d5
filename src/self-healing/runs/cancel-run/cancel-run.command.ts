import { Command } from '@nestjs/cqrs';
import type { RunView } from '../run.view.js';

/** An operator stops a run: it stops between steps (a call in flight finishes first), then its rollback runs. */
export class CancelRun extends Command<RunView> {
  readonly tenantId: string;
  readonly runId: string;
  readonly actor: string;
  constructor(props: { tenantId: string; runId: string; actor: string }) {
    super();
    ({ tenantId: this.tenantId, runId: this.runId, actor: this.actor } = props);
  }
}
