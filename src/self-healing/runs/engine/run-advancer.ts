import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, EventBus, QueryBus } from '@nestjs/cqrs';
import { GetKillSwitchState, killSwitchStops } from '../../../incidents/killswitch/get-killswitch-state.query.js';
import { ResolveIncident } from '../../../incidents/lifecycle/resolve-incident/resolve-incident.command.js';
import { SetIncidentMitigation } from '../../../incidents/lifecycle/set-mitigation/set-incident-mitigation.command.js';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { ActuatorRepository } from '../../actuators/actuator.repository.js';
import type { ActuatorCallResult } from '../../actuators/call-actuator/call-actuator.command.js';
import { retryDelayMs } from '../../../platform/egress/retry-after.js';
import { RecoveryRunFinished } from '../../events/recovery-run-finished.event.js';
import { ActOnWorkOrder } from '../../patches/act-on-work-order/act-on-work-order.command.js';
import { BuildWorkOrderContext } from '../../patches/build-work-order-context/build-work-order-context.query.js';
import { CreateWorkOrder } from '../../patches/create-work-order/create-work-order.command.js';
import { HUMAN_STEP_TIMEOUT_MS } from '../../recovery/playbook-steps.js';
import { RunJournal } from '../run.journal.js';
import { FINISHED_STEP, type LeasedRun, type RunRow, type RunStatus, type StepRow } from '../run.view.js';
import { RunsRepository } from '../runs.repository.js';
import { StepCallbackTokens } from './step-callback-tokens.js';
import { checkFailure, evaluate } from './step-conditions.js';

/** One HTTP call the engine makes after the deciding transaction has committed. */
export interface PlannedCall {
  purpose: 'step' | 'notify';
  runId: string;
  tenantId: string;
  stepId: string;
  actuator: string;
  webhookId: string;
  payload: unknown;
  timeoutMs: number;
}

/** The actuator told about new work orders (DESIGN §9). */
export const CODING_AGENT_ACTUATOR = 'coding-agent';
const MAX_RETRY_DELAY_MS = 5 * 60_000;

type Next = 'again' | 'idle' | PlannedCall;
interface State {
  run: RunRow;
  steps: StepRow[];
  now: Date;
}

/**
 * The run state machine of DESIGN §8. Every method runs inside a transaction that holds the
 * run's row lock (and, for the engine, its lease), decides, stores the transition, and either
 * schedules the run's next wake-up (`due_at`) or returns the one call to make once it has
 * committed. Nothing here waits on the network.
 */
@Injectable()
export class RunAdvancer {
  constructor(
    private readonly runs: RunsRepository,
    private readonly journal: RunJournal,
    private readonly actuators: ActuatorRepository,
    private readonly tokens: StepCallbackTokens,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly events: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Moves the run on as far as it can go now. */
  advance(run: LeasedRun, steps: StepRow[]): Promise<PlannedCall | null> {
    return this.settle({ run, steps, now: run.locked_at });
  }

  /**
   * The engine is stopping and will not make `call`: the step goes back to pending with its
   * attempt returned, and the run is due again at once, for whichever replica runs next.
   */
  async unplan(run: LeasedRun, steps: StepRow[], call: PlannedCall): Promise<void> {
    const s: State = { run, steps, now: run.locked_at };
    const step = steps.find((x) => x.step_id === call.stepId)!;
    if (call.purpose === 'step' && step.status === 'running' && step.waiting_for === 'call') {
      await this.moveStep(s, step, { status: 'pending', waiting_for: null, attempts: step.attempts - 1 }, 'not called: the service is shutting down');
    }
    await this.schedule(s, s.now);
  }

  /** Stores the answer to a call made for this run, then moves on. */
  async afterCall(run: LeasedRun, steps: StepRow[], call: PlannedCall, result: ActuatorCallResult): Promise<PlannedCall | null> {
    const s: State = { run, steps, now: run.locked_at };
    const step = steps.find((x) => x.step_id === call.stepId)!;
    if (call.purpose === 'notify') {
      if (step.status === 'running' && step.waiting_for === 'notify') {
        const notification = { outcome: result.outcome, status: result.status, error: result.error };
        await this.moveStep(s, step, { waiting_for: 'patch', output: { notification } }, `coding agent notified: ${result.outcome}${result.error ? ` (${result.error})` : ''}`);
      }
    } else if (step.status === 'running' && step.waiting_for === 'call') {
      await this.storeAnswer(s, step, result);
    } // else: a late result or a cancel finished the step while the call was out; its answer changes nothing.
    return this.settle(s);
  }

  private async settle(s: State): Promise<PlannedCall | null> {
    // Bounded: every pass finishes a step or changes the run, and a playbook has few of either.
    for (let pass = 0; pass < 500; pass++) {
      const next = await this.next(s);
      if (next === 'idle') return null;
      if (next !== 'again') return next;
    }
    throw new Error(`run ${s.run.id} did not settle`);
  }

  private async next(s: State): Promise<Next> {
    const { run, now } = s;
    if (run.phase === 'done') return this.schedule(s, null);

    if (run.cancel_requested_by && run.status !== 'canceled' && run.phase !== 'rollback') return this.cancelNow(s);
    if (run.status === 'queued') {
      await this.moveRun(s, { status: 'running', started_at: now }, 'running its steps');
      return 'again';
    }

    const active = run.phase === 'steps' || run.phase === 'verify';
    if (active && (run.status === 'awaiting_patch' || run.status === 'awaiting_operator')) {
      const stillWaiting = s.steps.some((x) => x.status === 'awaiting_operator' || (x.status === 'running' && (x.waiting_for === 'patch' || x.waiting_for === 'notify')));
      if (!stillWaiting) {
        const why = run.status === 'awaiting_patch' ? 'resumed: the work order finished' : 'resumed: the operator finished the step';
        await this.moveRun(s, { status: run.phase === 'steps' ? 'running' : 'verifying' }, why);
        return 'again';
      }
    }
    if (active && run.automatic) {
      const killSwitch = await this.queries.execute(new GetKillSwitchState(run.tenant_id));
      if (killSwitchStops(killSwitch, run.agent_id)) {
        if (!run.paused_reason) {
          await this.setRun(s, { paused_reason: 'kill switch' });
          await this.journal.note(s.run, 'paused: the kill switch stops automatic runs');
        }
        // Looks again every poll interval (the kill switch state is cached, so this costs little).
        return this.schedule(s, new Date(now.getTime() + this.config.outbox.pollIntervalMs));
      }
      if (run.paused_reason) {
        await this.setRun(s, { paused_reason: null });
        await this.journal.note(s.run, 'resumed: the kill switch no longer stops it');
      }
    }
    if (active && now >= run.deadline_at) {
      const current = this.current(s);
      if (current) await this.finishStep(s, current, 'timed_out', { error: 'timed_out: the run ran out of time' });
      return this.fail(s, `timed_out: the run did not get through its steps and checks within ${this.config.runs.runTimeoutMs} ms`);
    }
    // A step failed by its reporter (an operator, a late result, a work order) fails the run here.
    const failed = active && s.steps.find((x) => x.list !== 'rollback' && (x.status === 'failed' || x.status === 'timed_out'));
    if (failed) return this.fail(s, `step ${failed.step_id} ${failed.status}: ${failed.error ?? 'reported failed'}`);
    if (run.phase === 'rollback') {
      const failedRollback = s.steps.some((x) => x.list === 'rollback' && (x.status === 'failed' || x.status === 'timed_out'));
      const rest = s.steps.filter((x) => x.list === 'rollback' && !FINISHED_STEP.includes(x.status));
      if (failedRollback && rest.length > 0) {
        for (const step of rest) await this.finishStep(s, step, 'skipped', { note: 'not run: an earlier rollback step failed' });
        return 'again';
      }
    }
    if ((run.phase === 'verify' || run.phase === 'watch') && run.recurrence_incident_id) {
      return this.fail(s, `recurrence: incident ${run.recurrence_incident_id} of the same pattern on the same agent inside the verification window`);
    }
    if (run.phase === 'watch') {
      if (now >= run.verify_until!) return this.succeed(s);
      return this.schedule(s, run.verify_until);
    }
    const current = this.current(s);
    return current ? this.runStep(s, current) : this.endOfList(s);
  }

  private current(s: State): StepRow | undefined {
    const list = s.run.phase === 'rollback' ? 'rollback' : s.run.phase;
    return s.steps.find((x) => x.list === list && !FINISHED_STEP.includes(x.status));
  }

  private async endOfList(s: State): Promise<Next> {
    const { run, now } = s;
    if (run.phase === 'steps') {
      await this.moveRun(s, { phase: 'verify', status: 'verifying' }, 'steps done; verifying');
      return 'again';
    }
    if (run.phase === 'verify') {
      // Without a pattern (a reported problem) there is no recurrence to watch for.
      const windowMs = run.pattern_id ? this.config.runs.verifyWindowMs : 0;
      await this.setRun(s, { phase: 'watch', verify_until: new Date(now.getTime() + windowMs) });
      if (windowMs > 0) await this.journal.note(s.run, `checks passed; watching for a recurrence until ${s.run.verify_until!.toISOString()}`);
      return 'again';
    }
    // The rollback list is through.
    const rollback = s.steps.filter((x) => x.list === 'rollback');
    const rollbackFailed = rollback.some((x) => x.status === 'failed' || x.status === 'timed_out');
    if (run.status === 'canceled') return this.finish(s, 'canceled', rollbackFailed ? `${run.reason}; the rollback failed` : run.reason);
    if (rollbackFailed) return this.finish(s, 'rollback_failed', run.reason);
    const rolledBack = rollback.some((x) => x.status === 'succeeded');
    return this.finish(s, rolledBack ? 'rolled_back' : 'failed', run.reason);
  }

  private async runStep(s: State, step: StepRow): Promise<Next> {
    const { now } = s;
    if (step.status === 'pending') {
      // A pending step with a deadline is a retry waiting for its time.
      if (step.deadline_at && now < step.deadline_at) return this.schedule(s, step.deadline_at);
      return this.begin(s, step);
    }
    if (step.status === 'running' && step.waiting_for === 'call') {
      // Marked as calling, yet this worker holds the lease: the call's answer was never stored
      // (the service stopped mid-call, or a worker lost its lease). Call again, same webhook-id.
      if (step.attempts >= step.max_attempts) {
        return this.stepFailed(s, step, 'failed', `no stored answer after ${step.attempts} attempts (the service stopped or lost its lease mid-call)`);
      }
      return this.planCall(s, step, 'the previous attempt has no stored answer (the service stopped mid-call); calling again with the same webhook-id');
    }
    if (step.status === 'running' && step.waiting_for === 'notify') return this.planNotify(s, step);
    if (step.deadline_at && now >= step.deadline_at) {
      if (step.waiting_for === 'timer') return this.finishStep(s, step, 'succeeded', { note: `waited ${step.duration_ms} ms` }).then(() => 'again' as const);
      const what = { result: 'the actuator reported no result', operator: 'no operator marked it done', patch: 'the work order did not finish' }[step.waiting_for as 'result'] ?? 'no answer';
      return this.stepFailed(s, step, 'timed_out', `timed_out: ${what} within ${this.waitMs(step)} ms`);
    }
    return this.schedule(s, step.deadline_at);
  }

  private async begin(s: State, step: StepRow): Promise<Next> {
    const { now } = s;
    if (step.run_if) {
      const verdict = evaluate(step.run_if, { steps: Object.fromEntries(s.steps.map((x) => [x.step_id, { status: x.status, output: x.output ?? null }])) });
      if (!('value' in verdict) || !verdict.value) {
        const why = 'value' in verdict ? `its condition (${step.run_if}) is false` : `its condition could not be decided: ${verdict.error}`;
        await this.finishStep(s, step, 'skipped', { note: `skipped: ${why}` });
        return 'again';
      }
    }
    switch (step.kind) {
      case 'webhook':
      case 'check':
        return this.planCall(s, step, null, `actuator "${step.actuator}" is not configured: a person does it (${step.instruction})`);
      case 'manual':
        return this.awaitOperator(s, step, null);
      case 'wait': {
        const until = new Date(now.getTime() + (step.duration_ms ?? 0));
        await this.moveStep(s, step, { status: 'running', waiting_for: 'timer', started_at: now, deadline_at: until }, `waiting ${step.duration_ms} ms`);
        await this.runStatus(s, s.run.phase === 'steps' ? 'running' : 'verifying');
        return 'again';
      }
      case 'escalate':
        return this.escalate(s, step);
    }
  }

  /** A manual step, or a webhook or check whose actuator is missing: the run waits for a person. */
  private async awaitOperator(s: State, step: StepRow, note: string | null): Promise<Next> {
    const timeout = step.kind === 'manual' ? step.timeout_ms : Math.max(step.timeout_ms, HUMAN_STEP_TIMEOUT_MS);
    await this.moveStep(s, step, {
      status: 'awaiting_operator', waiting_for: 'operator', runs_as: 'manual', started_at: step.started_at ?? s.now, deadline_at: new Date(s.now.getTime() + timeout), timeout_ms: timeout,
    }, note);
    await this.runStatus(s, 'awaiting_operator');
    return this.schedule(s, s.steps.find((x) => x.step_id === step.step_id)!.deadline_at);
  }

  private async planCall(s: State, step: StepRow, note: string | null, missing = `actuator "${step.actuator}" is no longer configured: a person does it`): Promise<Next> {
    const actuator = await this.actuators.find(step.tenant_id, step.actuator!);
    if (!actuator) return this.awaitOperator(s, step, missing);
    const attempt = step.attempts + 1;
    const timeoutMs = Math.min(step.timeout_ms, actuator.timeout_ms);
    await this.moveStep(s, step, { status: 'running', waiting_for: 'call', attempts: attempt, started_at: step.started_at ?? s.now, deadline_at: null }, note ?? `attempt ${attempt} of ${step.max_attempts}`);
    await this.runStatus(s, s.run.phase === 'steps' ? 'running' : s.run.phase === 'verify' ? 'verifying' : s.run.status);
    await this.holdLease(s, timeoutMs);
    const { run } = s;
    const current = s.steps.find((x) => x.step_id === step.step_id)!;
    return {
      purpose: 'step', runId: run.id, tenantId: run.tenant_id, stepId: step.step_id, actuator: actuator.name, webhookId: step.webhook_id, timeoutMs,
      payload: {
        runId: run.id, stepId: step.step_id, kind: step.kind, attempt: current.attempts, instruction: step.instruction,
        incident: run.context.incident, pattern: run.context.pattern, ...(run.context.problem ? { problem: run.context.problem } : {}), params: step.params,
        // Where and how to report a late result after answering 202.
        callback: { path: `/runs/${run.id}/steps/${step.step_id}/result`, token: this.tokens.tokenFor(step.webhook_id) },
      },
    };
  }

  private async storeAnswer(s: State, step: StepRow, r: ActuatorCallResult): Promise<void> {
    const output = { status: r.status, body: r.body };
    switch (r.outcome) {
      case 'succeeded': {
        const failure = step.kind === 'check' ? checkFailure(step.condition!, r.status, r.body) : null;
        if (failure === null) return this.finishStep(s, step, 'succeeded', { output });
        await this.stepFailed(s, step, 'failed', failure, output);
        return;
      }
      case 'failed':
        await this.stepFailed(s, step, 'failed', r.error ?? 'the actuator reported a failure', output);
        return;
      case 'accepted':
        await this.moveStep(s, step, { waiting_for: 'result', output, deadline_at: new Date(s.now.getTime() + step.timeout_ms) }, `accepted (202): waiting up to ${step.timeout_ms} ms for the result`);
        return;
      case 'not_configured':
        await this.awaitOperator(s, step, `actuator "${step.actuator}" is no longer configured: a person does it`);
        return;
      case 'retryable': {
        if (step.attempts >= step.max_attempts) {
          await this.stepFailed(s, step, r.error === 'timed out' ? 'timed_out' : 'failed', `${r.error} (attempt ${step.attempts} of ${step.max_attempts})`, output);
          return;
        }
        const delay = retryDelayMs(step.attempts, r.retryAfterMs, this.config.runs.retryBaseMs, MAX_RETRY_DELAY_MS);
        await this.moveStep(s, step, { status: 'pending', waiting_for: null, error: r.error, output, deadline_at: new Date(s.now.getTime() + delay) },
          `${r.error}: retry in ${delay} ms${r.retryAfterMs !== null ? ` (Retry-After ${r.retryAfterMs} ms)` : ''}`);
      }
    }
  }

  /** Hands the step to a coding agent: a work order, then (if configured) a signed notice to the `coding-agent` actuator. */
  private async escalate(s: State, step: StepRow): Promise<Next> {
    const { run, now } = s;
    const lastErrors = s.steps.filter((x) => x.error).map((x) => `${x.step_id}: ${x.error}`);
    const problem = run.context.problem;
    const brief = run.incident_id ? await this.queries.execute(new BuildWorkOrderContext({ tenantId: run.tenant_id, incidentId: run.incident_id, runId: run.id, lastErrors })) : null;
    const order = await this.commands.execute(
      new CreateWorkOrder({
        tenantId: run.tenant_id, runId: run.id, incidentId: run.incident_id, stepId: step.step_id,
        description: problem ? `${step.instruction} Reported problem (${problem.errorType}): ${problem.description}` : `${step.instruction} (playbook ${run.playbook_id})`,
        context: brief?.context ?? {
          incident: null, pattern: null, affectedAgents: run.agent_id ? [run.agent_id] : [], capabilities: run.capability ? [run.capability] : [], lastErrors, runId: run.id, filePath: problem?.filePath ?? null,
        },
        priority: brief?.priority ?? 'medium', complexity: brief?.complexity ?? 'medium',
      }),
    );
    const notify = (await this.actuators.find(run.tenant_id, CODING_AGENT_ACTUATOR)) !== null;
    await this.moveStep(s, step, {
      status: 'running', waiting_for: notify ? 'notify' : 'patch', work_order_id: order.id, started_at: now, deadline_at: new Date(now.getTime() + step.timeout_ms),
    }, `escalated to a coding agent: work order ${order.id}`);
    if (run.phase !== 'rollback') await this.moveRun(s, { status: 'awaiting_patch' }, `escalated to a coding agent: waiting for work order ${order.id}`);
    return 'again';
  }

  private async planNotify(s: State, step: StepRow): Promise<Next> {
    const actuator = await this.actuators.find(s.run.tenant_id, CODING_AGENT_ACTUATOR);
    if (!actuator) {
      await this.moveStep(s, step, { waiting_for: 'patch' }, 'the coding-agent actuator is gone: not notified');
      return 'again';
    }
    await this.holdLease(s, actuator.timeout_ms);
    return {
      purpose: 'notify', runId: s.run.id, tenantId: s.run.tenant_id, stepId: step.step_id, actuator: actuator.name, webhookId: `${step.webhook_id}.work-order`, timeoutMs: actuator.timeout_ms,
      payload: { type: 'work_order.created', workOrderId: step.work_order_id, runId: s.run.id, stepId: step.step_id, incidentId: s.run.incident_id, path: `/patches/work-orders/${step.work_order_id}` },
    };
  }

  /** A step that failed or timed out: in the steps or checks the run fails (and rolls back); in the rollback, the rest of it is skipped. */
  private async stepFailed(s: State, step: StepRow, status: 'failed' | 'timed_out', error: string, output?: unknown): Promise<Next> {
    // next() fails the run (or, in the rollback, skips the rest of it).
    await this.finishStep(s, step, status, { error, output });
    return 'again';
  }

  /** The run failed: what is left of its steps and checks is skipped, then its rollback runs. */
  private async fail(s: State, reason: string): Promise<Next> {
    return this.stop(s, 'failed', reason, 'not run: the run failed');
  }

  private async cancelNow(s: State): Promise<Next> {
    const by = s.run.cancel_requested_by!;
    return this.stop(s, 'canceled', `canceled by ${by}`, `canceled by ${by}`);
  }

  /**
   * Ends the forward part of a run: the rest of its steps and checks is skipped, its open work
   * orders are withdrawn (a timed-out escalation too), and its rollback runs, unless no step ever
   * started, in which case there is nothing to undo.
   */
  private async stop(s: State, status: 'failed' | 'canceled', reason: string, skipNote: string): Promise<Next> {
    for (const step of s.steps.filter((x) => x.list !== 'rollback' && !FINISHED_STEP.includes(x.status))) await this.finishStep(s, step, 'skipped', { note: skipNote });
    for (const step of s.steps.filter((x) => x.work_order_id)) {
      await this.commands.execute(new ActOnWorkOrder({ tenantId: s.run.tenant_id, workOrderId: step.work_order_id!, keyId: '', actor: `run ${s.run.id}`, action: { kind: 'cancel', reason } }))
        .catch(() => undefined); // already finished: nothing to withdraw
    }
    const touched = s.steps.some((x) => x.list !== 'rollback' && x.started_at !== null);
    if (!touched) {
      for (const step of s.steps.filter((x) => x.list === 'rollback' && !FINISHED_STEP.includes(x.status))) await this.finishStep(s, step, 'skipped', { note: 'not run: no step had started, nothing to undo' });
    }
    const rollingBack = touched && s.steps.some((x) => x.list === 'rollback');
    await this.moveRun(s, { status, reason, phase: 'rollback' }, rollingBack ? `${reason}; rolling back` : reason);
    return 'again';
  }

  private async succeed(s: State): Promise<Next> {
    const next = await this.finish(s, 'succeeded', null);
    if (s.run.incident_id) {
      await this.commands.execute(new ResolveIncident({ tenantId: s.run.tenant_id, incidentId: s.run.incident_id, resolvedBy: `run ${s.run.id}`, note: `verified by run ${s.run.id} (playbook ${s.run.playbook_id})` }));
    }
    return next;
  }

  private async finish(s: State, status: RunStatus, reason: string | null): Promise<Next> {
    const { run } = s;
    await this.moveRun(s, { status, reason, phase: 'done', finished_at: s.now, due_at: null, lease_until: null, lease_token: null }, status === 'succeeded' ? 'verified' : (reason ?? status));
    if (run.incident_id && status !== 'succeeded' && !(await this.runs.otherActiveRun(run))) {
      await this.commands.execute(new SetIncidentMitigation({ tenantId: run.tenant_id, incidentId: run.incident_id, mitigating: false, reason: `run ${run.id} ${status}` }));
    }
    await this.events.publish(
      new RecoveryRunFinished({
        tenantId: run.tenant_id, runId: run.id, incidentId: run.incident_id, recoveryId: run.recovery_id, patternId: run.pattern_id, agentId: run.agent_id,
        capability: run.capability, playbook: run.playbook_id, outcome: status as RecoveryRunFinished['outcome'], automatic: run.automatic, reason,
      }),
    );
    return 'idle';
  }

  private async finishStep(s: State, step: StepRow, status: 'succeeded' | 'failed' | 'timed_out' | 'skipped', o: { output?: unknown; error?: string | null; note?: string }): Promise<void> {
    await this.moveStep(s, step, {
      status, waiting_for: null, finished_at: s.now, error: o.error ?? null, deadline_at: null, ...(o.output !== undefined ? { output: o.output } : {}),
    }, o.note ?? null);
  }

  private waitMs(step: StepRow): number {
    return step.deadline_at && step.started_at ? step.deadline_at.getTime() - step.started_at.getTime() : step.timeout_ms;
  }

  /** The run's status while it works: running or verifying, or waiting on someone. Only outside the rollback. */
  private async runStatus(s: State, status: RunStatus): Promise<void> {
    if (s.run.phase === 'rollback' || s.run.status === status) return;
    await this.moveRun(s, { status }, status === 'awaiting_operator' ? 'waiting for an operator' : 'working');
  }

  /** The lease covers the call about to be made, with a margin. */
  private async holdLease(s: State, callMs: number): Promise<void> {
    await this.setRun(s, { lease_until: new Date(s.now.getTime() + callMs + this.config.runs.leaseMarginMs) });
  }

  /** Releases the lease and sleeps until `at` (null: until something wakes the run). */
  private async schedule(s: State, at: Date | null): Promise<'idle'> {
    const { phase, deadline_at } = s.run;
    // In its steps and checks a run also wakes at its own deadline, whatever it waits for.
    const wake = phase === 'done' ? null : (phase === 'steps' || phase === 'verify') && (at === null || at > deadline_at) ? deadline_at : at;
    await this.setRun(s, { due_at: wake, lease_until: null, lease_token: null });
    return 'idle';
  }

  private async setRun(s: State, set: Partial<Record<keyof RunRow, unknown>>): Promise<void> {
    s.run = await this.runs.updateRun(s.run.id, set);
  }

  private async moveRun(s: State, set: Partial<Record<keyof RunRow, unknown>>, note: string): Promise<void> {
    const from = s.run.status;
    await this.setRun(s, set);
    await this.journal.run(s.run, from, note, from !== s.run.status);
  }

  private async moveStep(s: State, step: StepRow, set: Partial<Record<keyof StepRow, unknown>>, note: string | null): Promise<void> {
    const from = s.steps.find((x) => x.step_id === step.step_id)!.status;
    const row = await this.runs.updateStep(step.run_id, step.step_id, set);
    s.steps = s.steps.map((x) => (x.step_id === row.step_id ? row : x));
    await this.journal.step(s.run, row, from, note);
  }
}
