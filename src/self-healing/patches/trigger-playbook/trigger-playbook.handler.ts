import { Inject } from '@nestjs/common';
import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { PLAYBOOK_CATALOG } from '../../playbooks.provider.js';
import type { PlaybookCatalog } from '../../recovery/playbook-catalog.js';
import { workOrderOf, type RunRow, type StepRow } from '../../runs/run.view.js';
import { RunsRepository } from '../../runs/runs.repository.js';
import { StartRecoveryRun } from '../../runs/start-recovery-run/start-recovery-run.command.js';
import { TriggerPlaybook, type TriggeredRun } from './trigger-playbook.command.js';

/** How long the request waits for the run to settle before answering with where it is. */
const SETTLE_WAIT_MS = 10_000;
const POLL_MS = 50;

@CommandHandler(TriggerPlaybook)
export class TriggerPlaybookHandler implements ICommandHandler<TriggerPlaybook> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly commands: CommandBus,
    private readonly audit: AuditTrail,
    private readonly runs: RunsRepository,
    @Inject(PLAYBOOK_CATALOG) private readonly catalog: PlaybookCatalog,
  ) {}

  async execute(c: TriggerPlaybook): Promise<TriggeredRun> {
    const { playbook } = this.catalog.choose(c.errorType, c.description);
    const problem = { description: c.description, errorType: c.errorType, filePath: c.filePath };
    // A person starts a production run: recorded with the run's insert, in one transaction.
    const started = await this.tx.run(async () => {
      const view = await this.commands.execute(
        new StartRecoveryRun({
          tenantId: c.tenantId,
          recoveryId: null,
          incidentId: null,
          patternId: null,
          playbookId: playbook.id,
          params: playbook.defaultParams,
          automatic: false,
          startedBy: c.actor,
          problem,
        }),
      );
      await this.audit.record({
        tenantId: c.tenantId,
        actor: c.actor,
        action: 'run.started',
        subject: { type: 'run', id: view.id },
        before: null,
        after: { status: view.status, playbookId: playbook.id, params: playbook.defaultParams, problem },
        reason: c.description,
      });
      return view;
    });
    // The engine runs it (maybe on another replica); watch the stored run until it settles.
    const until = Date.now() + SETTLE_WAIT_MS;
    let run = (await this.runs.find(c.tenantId, started.id))!;
    let steps = await this.runs.steps(run.id);
    while (!settled(run, steps) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      run = (await this.runs.find(c.tenantId, started.id))!;
      steps = await this.runs.steps(run.id);
    }
    const workOrderId = workOrderOf(steps);
    return {
      runId: run.id,
      playbookId: playbook.id,
      status: run.status,
      escalatedToCoding: workOrderId !== null,
      workOrderId,
    };
  }
}

/** Where the answer may stop waiting (README): the run escalated, finished, is verifying or waits for a person. */
export function settled(run: Pick<RunRow, 'phase' | 'status'>, steps: StepRow[]): boolean {
  if (run.phase === 'done' || run.phase === 'watch' || run.status === 'verifying') return true;
  if (run.status === 'awaiting_patch' && workOrderOf(steps) !== null) return true;
  return run.status === 'awaiting_operator';
}
