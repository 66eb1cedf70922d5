import { ConflictException, NotFoundException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { RunWakeups } from '../run-wakeups.js';
import { RunJournal } from '../run.journal.js';
import { runView, type RunView } from '../run.view.js';
import { RunsRepository } from '../runs.repository.js';
import { CancelRun } from './cancel-run.command.js';

@CommandHandler(CancelRun)
export class CancelRunHandler implements ICommandHandler<CancelRun> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly runs: RunsRepository,
    private readonly journal: RunJournal,
    private readonly wakeups: RunWakeups,
    private readonly audit: AuditTrail,
  ) {}

  execute(c: CancelRun): Promise<RunView> {
    return this.tx.run(async () => {
      const found = await this.runs.lock(c.tenantId, c.runId);
      if (!found) throw new NotFoundException(`run ${c.runId} not found`);
      if (found.phase === 'done' || found.phase === 'rollback')
        throw new ConflictException(
          `run ${found.id} is already ${found.status}${found.phase === 'rollback' ? ' and rolling back' : ''}`,
        );
      if (found.cancel_requested_by)
        throw new ConflictException(`run ${found.id} is already being canceled by ${found.cancel_requested_by}`);
      // The rollback was promised to fail the run with its step's failure (ADR 0014): a cancel would erase that verdict.
      if (found.rollback_requested_by)
        throw new ConflictException(
          `run ${found.id} is already being rolled back at the request of ${found.rollback_requested_by}: it fails with its step's failure`,
        );
      // The engine cancels it at its next turn: at once, or after the call in flight.
      const run = await this.runs.makeDue(found.id, { cancel_requested_by: c.actor });
      await this.journal.note(run, found.locked_at, `cancel requested by ${c.actor}`);
      // The request, under its requester's name: the run may yet end failed (a failure it already
      // held stands over the cancel, ADR 0014), its verdict then the system's.
      await this.audit.record({
        tenantId: c.tenantId,
        actor: c.actor,
        action: 'run.cancel_requested',
        subject: { type: 'run', id: found.id },
        before: { status: found.status },
        after: { cancelRequestedBy: c.actor },
      });
      this.wakeups.afterCommit();
      return runView(run, await this.runs.steps(run.id));
    });
  }
}
