import { ConflictException, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { SecretBox } from '../../../platform/crypto/secret-box.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { secretRedactor, urlQueryCredentials } from '../../../platform/egress/redact-secrets.js';
import { ActuatorRepository } from '../../actuators/actuator.repository.js';
import { openActuator } from '../../actuators/open-actuator.js';
import { StepCallSecrets } from '../engine/step-call-secrets.js';
import { StepCallbackTokens } from '../engine/step-callback-tokens.js';
import { checkFailure } from '../engine/step-conditions.js';
import { RunWakeups } from '../run-wakeups.js';
import { RunJournal } from '../run.journal.js';
import { runView, type RunRow, type RunView, type StepRow } from '../run.view.js';
import { RunsRepository } from '../runs.repository.js';
import { FinishWaitingStep, type WaitingStepSource } from './finish-waiting-step.command.js';

@CommandHandler(FinishWaitingStep)
export class FinishWaitingStepHandler implements ICommandHandler<FinishWaitingStep> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly runs: RunsRepository,
    private readonly journal: RunJournal,
    private readonly tokens: StepCallbackTokens,
    private readonly wakeups: RunWakeups,
    private readonly audit: AuditTrail,
    private readonly actuators: ActuatorRepository,
    private readonly box: SecretBox,
    private readonly callSecrets: StepCallSecrets,
  ) {}

  execute(p: FinishWaitingStep): Promise<RunView> {
    // The token is bound to the call it came with: a wrong one is refused before any database work.
    const call = p.source.kind === 'result' ? this.tokens.callOf(p.runId, p.stepId, p.source.token) : null;
    if (p.source.kind === 'result' && call === null) {
      throw new UnauthorizedException('unknown run or step, or a wrong callback token');
    }
    return this.tx.run(async () => {
      // The result callback carries no API key: its token names the run, so look it up by id alone.
      const found = await this.runs.lock(p.tenantId, p.runId);
      const steps = found ? await this.runs.steps(found.id) : [];
      const step = steps.find((s) => s.step_id === p.stepId);
      if (!found || !step) {
        if (p.source.kind === 'result')
          throw new UnauthorizedException('unknown run or step, or a wrong callback token');
        throw new NotFoundException(`run ${p.runId} or its step ${p.stepId} not found`);
      }
      // The late result of a call an operator's retry replaced must not decide the retried step.
      if (call !== null && call !== step.webhook_id) {
        throw new ConflictException(
          `this result is for an earlier call of step ${step.step_id} (${call}), which an operator's retry replaced: the step waits for the answer to its call ${step.webhook_id}`,
        );
      }
      if (found.phase === 'done') throw new ConflictException(`run ${found.id} is already ${found.status}`);
      const refusal = this.refusal(step, p.source);
      if (refusal) throw new ConflictException(`step ${step.step_id} ${refusal}`);
      // The order's incident was resolved before it finished (a step of the rollback undoes the
      // run's own change, which a resolution does not make unneeded: it counts as reported).
      const order = p.source.kind === 'work_order' ? p.source : null;
      const resolved = order && step.list !== 'rollback' ? (order.incidentResolved ?? null) : null;
      const afterResolution =
        order && resolved
          ? `its incident was resolved by ${resolved.by} at ${resolved.at}, before work order ${order.workOrderId} finished: nothing is left to verify its patch against`
          : null;
      if (order && withdrawable(step)) {
        if (order.canceledBy !== undefined)
          return this.cancelRun(found, order.workOrderId, order.canceledBy, afterResolution);
        // Completed or failed after the resolution: the same as a withdrawal (ADR 0009), so no verdict.
        if (resolved) return this.cancelRun(found, order.workOrderId, resolved.by, afterResolution);
      }

      // An actuator's result, like its answer, may echo what its call carried (ADR 0013): stored redacted.
      const redact = p.source.kind === 'result' ? await this.redactorFor(found.tenant_id, step, p.source.token) : null;
      const note = redact ? redact(p.note) : p.note;
      const output = redact ? redact(p.output) : p.output;
      let outcome = p.outcome;
      let error = outcome === 'failed' ? (note ?? `reported failed by ${this.who(p.source)}`) : null;
      // A canary's handed-over patch finished after the resolution: as a withdrawal of its order,
      // the step fails with its trial, which no candidate passed (ADR 0014), whatever the patch says.
      if (afterResolution !== null && order?.canceledBy === undefined) {
        outcome = 'failed';
        error = `${afterResolution}; the trial, which no candidate passed, stands`;
      }
      // A check's late result is judged by the check's condition, as an immediate answer would be.
      const failure =
        step.runs_as === 'check' && outcome === 'succeeded' ? checkFailure(step.condition!, 200, output ?? null) : null;
      if (failure !== null) {
        outcome = 'failed';
        error = failure;
      }
      const from = step.status;
      // `body` is what was reported, where a check's `when` readers find an answer: `steps.<id>.output.body`.
      // `finishedByRole`: who finished the step's work order (personActedIn reads it).
      const report = {
        status: p.source.kind === 'result' ? 200 : null,
        body: output ?? null,
        by: this.who(p.source),
        note,
        ...(p.source.kind === 'work_order' && p.source.finishedByRole
          ? { finishedByRole: p.source.finishedByRole }
          : {}),
      };
      const row = await this.runs.updateStep(step.run_id, step.step_id, {
        status: outcome,
        waiting_for: null,
        // The database's clock, as the engine stamps a step's times: a host's drift would misplace it.
        finished_at: found.locked_at,
        deadline_at: null,
        error,
        // A canary step (escalated, or done by a person) keeps its candidates' results beside the report.
        output: step.kind === 'canary' ? { ...(step.output as object), ...report } : report,
      });
      await this.journal.step(
        found,
        found.locked_at,
        row,
        from,
        `${outcome} (reported by ${this.who(p.source)})${note ? `: ${note}` : ''}`,
      );
      // A person deciding a step's outcome is a decision of its own (the actuator's and the coding
      // agent's reports are the run's doing, and work orders are audited as such).
      if (p.source.kind === 'operator')
        await this.audit.record({
          tenantId: found.tenant_id,
          actor: p.source.actor,
          action: 'run.step_completed',
          subject: { type: 'run', id: found.id },
          before: { status: found.status, stepId: step.step_id, stepStatus: from },
          after: { stepId: step.step_id, outcome: p.outcome, stepStatus: row.status, error },
          reason: p.note ?? `${p.outcome} by ${p.source.actor}`,
        });
      // Due now: the engine (this replica's or another's) takes the run on from here.
      const run = await this.runs.makeDue(found.id);
      this.wakeups.afterCommit();
      return runView(run, await this.runs.steps(run.id));
    });
  }

  /**
   * A person canceled the work order a forward step waits on: a choice that says nothing about the
   * fix (ADR 0009), so the run is canceled as `POST /runs/:id/cancel` would (no verdict, trust and
   * learning unchanged, its rollback runs) rather than failed. The engine skips the step.
   */
  private async cancelRun(
    found: RunRow & { locked_at: Date },
    workOrderId: string,
    by: string,
    afterResolution: string | null = null,
  ): Promise<RunView> {
    if (found.cancel_requested_by ?? found.rollback_requested_by)
      return runView(found, await this.runs.steps(found.id));
    // The person, as a cancel of the run itself records them (the audit's actor); the note says how.
    // A resolution's: who resolved the incident (monitoring, an operator, another run).
    const run = await this.runs.makeDue(found.id, { cancel_requested_by: by });
    await this.journal.note(
      run,
      found.locked_at,
      afterResolution
        ? `cancel requested by ${by}: ${afterResolution}`
        : `cancel requested by ${by}, who canceled work order ${workOrderId}`,
    );
    this.wakeups.afterCommit();
    return runView(run, await this.runs.steps(run.id));
  }

  /**
   * What a late result must not store: the step's callback token, every secret its actuator's calls
   * carry as the actuator is now (only its URL's query credentials if this replica cannot open the
   * rest), and those its calls carried, sealed on the step when each was made (the actuator may have
   * changed since, or gone).
   */
  private async redactorFor(tenantId: string, step: StepRow, token: string) {
    const actuator = step.actuator ? await this.actuators.find(tenantId, step.actuator) : null;
    let secrets: string[] = [];
    if (actuator) {
      try {
        secrets = openActuator(actuator, this.box).secrets;
      } catch {
        secrets = urlQueryCredentials(actuator.url);
      }
    }
    return secretRedactor([...secrets, ...this.callSecrets.of(step.call_secrets_sealed), token]);
  }

  /** Why this source may not finish the step now; null when it may. */
  private refusal(step: StepRow, source: WaitingStepSource): string | null {
    const waits = step.waiting_for;
    switch (source.kind) {
      case 'operator':
        return step.status === 'awaiting_operator' ? null : `is ${step.status}, not waiting for an operator`;
      case 'result': {
        if (step.runs_as !== 'webhook' && step.runs_as !== 'check')
          return `is a ${step.runs_as} step: it takes no actuator result`;
        // `call` too: an actuator may report before its 202 answer has been stored; and a retry
        // waiting for its time: the attempt that timed out here may have done the work after all, as
        // may a call a stop cut off (pending with its attempt refunded, but started).
        const waitingForIt =
          (step.status === 'running' && (waits === 'result' || waits === 'call')) ||
          (step.status === 'pending' && (step.attempts > 0 || step.started_at !== null));
        return waitingForIt ? null : `is ${step.status}, not waiting for a result`;
      }
      case 'work_order':
        return step.status === 'running' &&
          (waits === 'patch' || waits === 'notify') &&
          step.work_order_id === source.workOrderId
          ? null
          : `is ${step.status}, not waiting for work order ${source.workOrderId}`;
    }
  }

  private who(source: WaitingStepSource): string {
    return source.kind === 'operator'
      ? source.actor
      : source.kind === 'result'
        ? 'the actuator'
        : `work order ${source.workOrderId}`;
  }
}

/**
 * Whether canceling this step's work order cancels the run (FinishWaitingStep.cancelRun). Not a
 * rollback step's (the rollback did not happen: the step fails), nor a canary's that escalated when
 * no candidate passed (its trial is evidence against the fix, ADR 0014: the step fails with it).
 */
function withdrawable(step: StepRow): boolean {
  return step.kind === 'escalate' && step.list !== 'rollback';
}
