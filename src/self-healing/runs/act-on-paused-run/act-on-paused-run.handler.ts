import { ConflictException, NotFoundException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { invalidFields } from '../../../platform/http/validation.js';
import { retryWebhookId } from '../engine/step-callback-tokens.js';
import { RunWakeups } from '../run-wakeups.js';
import { RunJournal } from '../run.journal.js';
import {
  pausedOn,
  runView,
  skipRefusal,
  type LeasedRun,
  type RunRow,
  type RunView,
  type StepRow,
} from '../run.view.js';
import { RunsRepository } from '../runs.repository.js';
import { ActOnPausedRun, type PausedRunChoice } from './act-on-paused-run.command.js';

@CommandHandler(ActOnPausedRun)
export class ActOnPausedRunHandler implements ICommandHandler<ActOnPausedRun> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly runs: RunsRepository,
    private readonly journal: RunJournal,
    private readonly audit: AuditTrail,
    private readonly wakeups: RunWakeups,
  ) {}

  execute(c: ActOnPausedRun): Promise<RunView> {
    return this.tx.run(async () => {
      const run = await this.runs.lock(c.tenantId, c.runId);
      if (!run) throw new NotFoundException(`run ${c.runId} not found`);
      const steps = await this.runs.steps(run.id);
      const named = c.choice.kind === 'rollback' ? null : c.choice.stepId;
      if (named !== null && !steps.some((x) => x.step_id === named))
        throw new NotFoundException(`run ${run.id} has no step ${named}`);
      const failed = pausedOn(run, steps);
      // A run awaiting its operator on a step for a person to do is not paused on a failure: say which.
      const personStep = steps.find((x) => x.status === 'awaiting_operator');
      if (!failed && personStep)
        throw new ConflictException(
          `run ${run.id} is not paused on a failed step: it waits for a person to do step ${personStep.step_id} (POST /runs/${run.id}/steps/${personStep.step_id}/complete)`,
        );
      if (!failed)
        throw new ConflictException(
          `run ${run.id} is ${run.status}, not waiting for an operator to retry, skip or roll back a failed step`,
        );
      if (named !== null && named !== failed.step_id) {
        throw new ConflictException(`step ${named} did not fail: run ${run.id} waits on step ${failed.step_id}`);
      }
      // Past its deadline the engine's next turn times the run out on this step (a rollback, which
      // fails it with the step's failure, still may be asked for): a retry or skip would not run.
      if (c.choice.kind !== 'rollback' && run.locked_at >= run.deadline_at) {
        throw new ConflictException(
          `run ${run.id} passed its deadline at ${run.deadline_at.toISOString()} (RECOVERY_RUN_TIMEOUT_MS): it ends timed out on step ${failed.step_id}, so a ${c.choice.kind} would not run`,
        );
      }
      if (c.choice.kind === 'skip') {
        const refused = skipRefusal(run, steps, failed);
        if (refused) throw new ConflictException(refused);
      }
      const after = await this.act(run, failed, c.choice, c.actor);
      this.wakeups.afterCommit();
      return runView(after, await this.runs.steps(run.id));
    });
  }

  /** `run` as locked: its `locked_at` (the database's clock) is when its transitions happen. */
  private async act(run: LeasedRun, failed: StepRow, choice: PausedRunChoice, actor: string): Promise<RunRow> {
    const at = run.locked_at;
    const audit = (action: string, after: Record<string, unknown>, reason: string) =>
      this.audit.record({
        tenantId: run.tenant_id,
        actor,
        action,
        subject: { type: 'run', id: run.id },
        before: { status: run.status, stepId: failed.step_id, stepStatus: failed.status, error: failed.error },
        after,
        reason,
      });
    if (choice.kind === 'rollback') {
      // The engine fails the run with the step's failure and runs its rollback.
      const due = await this.runs.makeDue(run.id, { rollback_requested_by: actor });
      await this.journal.note(due, at, `rollback requested by ${actor}`);
      await audit(
        'run.rollback_requested',
        { rollbackRequestedBy: actor },
        `rollback of a run paused on step ${failed.step_id}`,
      );
      return due;
    }
    let note: string;
    if (choice.kind === 'retry') {
      const params = { ...failed.params, ...this.corrections(failed, choice.params) };
      note = `retried by ${actor}${choice.params ? ` with params ${JSON.stringify(choice.params)}` : ''}`;
      const row = await this.runs.updateStep(run.id, failed.step_id, {
        status: 'pending',
        waiting_for: null,
        attempts: 0,
        interrupted_calls: 0,
        cut_off_calls: 0,
        error: null,
        output: null,
        started_at: null,
        finished_at: null,
        deadline_at: null,
        params,
        webhook_id: retryWebhookId(failed.webhook_id),
      });
      await this.journal.step(run, at, row, failed.status, note);
      await audit(
        'run.step_retried',
        { stepId: failed.step_id, params: choice.params ?? {}, webhookId: row.webhook_id },
        note,
      );
    } else {
      note = `skipped by ${actor}`;
      const row = await this.runs.updateStep(run.id, failed.step_id, {
        status: 'skipped',
        waiting_for: null,
        deadline_at: null,
      });
      await this.journal.step(run, at, row, failed.status, note);
      await audit('run.step_skipped', { stepId: failed.step_id, stepStatus: 'skipped' }, note);
    }
    // Working again in its phase; the failure it paused on is no longer its reason.
    const status = run.phase === 'verify' ? 'verifying' : 'running';
    const due = await this.runs.makeDue(run.id, { status, reason: null });
    await this.journal.run(due, at, run.status, `step ${failed.step_id} ${note}`);
    return due;
  }

  /** Corrected values of the step's own parameters only: a new name would be a different call. */
  private corrections(step: StepRow, params: Record<string, unknown> | null): Record<string, unknown> {
    if (!params) return {};
    const unknown = Object.keys(params).filter((k) => !Object.hasOwn(step.params, k) || k === 'action');
    if (unknown.length > 0) {
      const known = Object.keys(step.params).filter((k) => k !== 'action');
      throw invalidFields(
        unknown.map((k) => ({
          field: `params.${k}`,
          errors: [
            k === 'action'
              ? 'the action of a step is not a correctable parameter'
              : `step ${step.step_id} has no parameter ${k} (it has: ${known.join(', ') || 'none'})`,
          ],
        })),
      );
    }
    return params;
  }
}
