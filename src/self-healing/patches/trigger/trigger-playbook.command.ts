import { Command } from '@nestjs/cqrs';

export interface TriggeredRun {
  runId: string;
  playbookId: string;
  status: string;
  escalatedToCoding: boolean;
  workOrderId: string | null;
}

/**
 * `POST /patches/trigger`: runs the playbook that matches a reported problem (no incident needed)
 * and answers once the run has settled: escalated to a coding agent, waiting for a person,
 * verifying, or finished (or after a few seconds, whatever it is doing then).
 */
export class TriggerPlaybook extends Command<TriggeredRun> {
  readonly tenantId: string;
  readonly description: string;
  readonly errorType: string;
  readonly filePath: string | null;
  readonly actor: string;
  constructor(props: { tenantId: string; description: string; errorType: string; filePath: string | null; actor: string }) {
    super();
    ({ tenantId: this.tenantId, description: this.description, errorType: this.errorType, filePath: this.filePath, actor: this.actor } = props);
  }
}
