import { Command } from '@nestjs/cqrs';

export interface TriggeredRun {
  runId: string;
  playbookId: string;
  status: string;
  escalatedToCoding: boolean;
  workOrderId: string | null;
}

export interface TriggerPlaybookProps {
  tenantId: string;
  description: string;
  errorType: string;
  filePath: string | null;
  actor: string;
}

/**
 * `POST /patches/trigger`: runs the playbook that matches a reported problem (no incident needed)
 * and answers once the run has settled: escalated to a coding agent, waiting for a person,
 * verifying, or finished (or after a few seconds, whatever it is doing then).
 */
export interface TriggerPlaybook extends TriggerPlaybookProps {}
export class TriggerPlaybook extends Command<TriggeredRun> {
  constructor(props: TriggerPlaybookProps) {
    super();
    Object.assign(this, props);
  }
}
