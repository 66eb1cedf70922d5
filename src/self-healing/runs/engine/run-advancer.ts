import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, EventBus, QueryBus } from '@nestjs/cqrs';
import { GetKillSwitchState, killSwitchStops } from '../../../incidents/killswitch/get-killswitch-state.query.js';
import { LockIncident } from '../../../incidents/lifecycle/lock-incident/lock-incident.command.js';
import {
  ResolveIncident,
  resolvedByRun,
} from '../../../incidents/lifecycle/resolve-incident/resolve-incident.command.js';
import { SetIncidentMitigation } from '../../../incidents/lifecycle/set-incident-mitigation/set-incident-mitigation.command.js';
import { FindRecurrence } from '../../../incidents/recurrence/find-recurrence.query.js';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { retryDelayMs } from '../../../platform/egress/retry-after.js';
import type { ActuatorRow } from '../../actuators/actuator.repository.js';
import type { ActuatorCallResult } from '../../actuators/call-actuator/call-actuator.command.js';
import { RecoveryRunFinished } from '../../events/recovery-run-finished.event.js';
import { ActOnWorkOrder } from '../../patches/act-on-work-order/act-on-work-order.command.js';
import { BuildWorkOrderContext } from '../../patches/build-work-order-context/build-work-order-context.query.js';
import { CreateWorkOrder } from '../../patches/create-work-order/create-work-order.command.js';
import { HUMAN_STEP_TIMEOUT_MS } from '../../recovery/playbook-steps.js';
import { CanaryLeasesRepository } from '../canary-leases.repository.js';
import { RunWakeups } from '../run-wakeups.js';
import { RunJournal } from '../run.journal.js';
import {
  FINISHED_STEP,
  pausedOn,
  pausesOnFailure,
  runWatches,
  skipRefusal,
  type LeasedRun,
  type RunRow,
  type RunStatus,
  type StepRow,
} from '../run.view.js';
import { RunsRepository } from '../runs.repository.js';
import { CallSlots, type CallSlot } from './call-slots.js';
import {
  callOf,
  finishTrial,
  handOverTrial,
  interruptTrial,
  judgeCandidate,
  leavesCanaryDirty,
  nextCall,
  startTrial,
  trialOf,
  type CanaryInterruption,
  type CanaryOutput,
} from './canary-trial.js';
import { personActedIn } from './person-acted.js';
import { judgeWatch, MAX_INTERRUPTED_CALLS, nextMove, stepState, type RunFacts } from './run-rules.js';
import { StepCallSecrets } from './step-call-secrets.js';
import { isRetryCall, StepCallbackTokens } from './step-callback-tokens.js';
import { checkFailure, evaluate } from './step-conditions.js';

/** A run's paused_reason while the kill switch holds it. */
const KILL_SWITCH_PAUSE = 'kill switch';
/** The transition noted when the kill switch pauses a run: the inbox dates the pause by it. */
export const KILL_SWITCH_PAUSE_NOTE = 'paused: the kill switch stops automatic runs';

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
  /** The actuator as read in the turn that planned the call: the call does not read it again. */
  actuatorRow: ActuatorRow;
  /** A repeat of a call whose answer was lost: it cost no attempt. */
  repeat?: boolean;
  /** The call slot it was planned under (CallSlots): the engine waits for it and releases it. */
  slot: CallSlot;
}

/**
 * A turn that puts its run to sleep for no longer than this keeps the lease, when its engine has
 * no runs waiting for that room (TurnInput.mayNap): the run naps in its engine and takes its next
 * turn there, instead of being claimed again (ADR 0008 §12).
 */
export const NAP_MAX_MS = 1000;

/** The run is asleep for `ms`, still leased to the engine that ran the turn: its next turn is that engine's. */
export interface Nap {
  nap: number;
}

export const isNap = (next: PlannedCall | Nap): next is Nap => 'nap' in next;

/** The actuator told about new work orders (DESIGN §9). */
export const CODING_AGENT_ACTUATOR = 'coding-agent';
const MAX_RETRY_DELAY_MS = 5 * 60_000;
/** How long past its window a verdict waits, at least, for incidents from inside the window to be filed under a pattern. */
const VERDICT_MAX_WAIT_MS = 60_000;

/** What a turn reads in its first round trip, under the run's lock: the run, its steps, and the tenant's actuators they (or an escalation) may call. */
export interface TurnInput {
  run: LeasedRun;
  steps: StepRow[];
  actuators: ReadonlyMap<string, ActuatorRow>;
  /** The engine would keep the run through a nap: no run waits for the room it holds. */
  mayNap: boolean;
  /** The call slot this turn's call, if it plans one, is planned under: the turn's own (CallSlots). */
  slot: CallSlot;
}

type Next = 'again' | 'idle' | PlannedCall;
/** What differs between a step's call and a canary's: the idempotency key, the parameters, and the payload's extra fields. */
interface CallParts {
  webhookId: string;
  stage?: string;
  params: unknown;
  extra: Record<string, unknown>;
}
interface State {
  run: RunRow;
  steps: StepRow[];
  actuators: ReadonlyMap<string, ActuatorRow>;
  now: Date;
  mayNap: boolean;
  slot: CallSlot;
  /** Set when the turn ends in a nap (schedule). */
  nap?: number;
}

/**
 * The run state machine of DESIGN §8. Every method runs inside a transaction that holds the
 * run's row lock and the engine's lease, decides, stores the transition, and either schedules
 * the run's next wake-up (`due_at`), returns the nap its engine takes before the next turn, or
 * returns the one call to make once it has committed. Nothing here waits on the network.
 */
@Injectable()
export class RunAdvancer {
  constructor(
    private readonly runs: RunsRepository,
    private readonly journal: RunJournal,
    private readonly tokens: StepCallbackTokens,
    private readonly callSecrets: StepCallSecrets,
    private readonly slots: CallSlots,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly events: EventBus,
    private readonly wakeups: RunWakeups,
    private readonly canaries: CanaryLeasesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Moves the run on as far as it can go now. */
  advance(t: TurnInput): Promise<PlannedCall | Nap | null> {
    return this.settle(stateOf(t));
  }

  /** The engine is stopping while the run naps in it: the run is due at once, for whichever replica runs next. */
  async handBack(t: TurnInput): Promise<null> {
    await this.schedule({ ...stateOf(t), mayNap: false }, t.run.locked_at);
    return null;
  }

  /**
   * The engine is stopping and will not make `call`, or made it and cut it off (`made`: it waited
   * SHUTDOWN_TIMEOUT_MS for its answer): the step goes back to pending with its attempt returned,
   * and the run is due again at once, for whichever replica runs next, which calls again with the
   * same webhook-id. A stop is not the step's fault, so a cut-off costs no attempt and is not one of
   * its interrupted calls, with one exception: a canary's call that was made stays out, as after a
   * crash, and is repeated as such (its candidate may be on the canary; deciding afresh could mark it
   * not tried).
   */
  async unplan(t: TurnInput, call: PlannedCall, { made = false } = {}): Promise<void> {
    const s = { ...stateOf(t), mayNap: false };
    const step = s.steps.find((x) => x.step_id === call.stepId)!;
    const why = made ? 'call cut off: the service is stopping' : 'not called: the service is shutting down';
    if (call.purpose === 'notify' && step.status === 'running' && step.waiting_for === 'notify') {
      // A first notice goes back to not sent; a repeat stays a notice without an answer.
      const refund = call.repeat
        ? { interrupted_calls: step.interrupted_calls - 1 }
        : { output: withNotice(step, null) };
      await this.moveStep(
        s,
        step,
        refund,
        made
          ? 'coding agent notice cut off: the service is stopping'
          : 'coding agent not notified: the service is shutting down',
      );
    }
    if (call.purpose === 'step' && step.status === 'running' && step.waiting_for === 'call') {
      if (call.repeat) {
        // Stays a call without an answer, to be repeated by the next holder.
        await this.moveStep(s, step, { interrupted_calls: step.interrupted_calls - 1 }, why);
      } else if (step.kind === 'canary' && made) {
        await this.journal.step(s.run, s.now, step, step.status, `${why}: the next holder repeats it`);
      } else {
        // A canary's first call goes back to waiting for its next call, keeping its trial; another step to
        // pending, and to not started if it was never called (a cancel then has nothing of it to roll back;
        // a call an earlier stop cut off was made, and its late result is still taken).
        const neverCalled = step.attempts === 1 && !made && step.cut_off_calls === 0;
        const back =
          step.kind === 'canary'
            ? { waiting_for: 'next' }
            : { status: 'pending', waiting_for: null, ...(neverCalled && { started_at: null }) };
        const cut = made && { cut_off_calls: step.cut_off_calls + 1 }; // made: the step may have acted (touchedBy)
        await this.moveStep(s, step, { ...back, attempts: step.attempts - 1, ...cut }, why);
      }
    }
    await this.schedule(s, s.now);
  }

  /** Stores the answer to a call made for this run, then moves on. */
  async afterCall(t: TurnInput, call: PlannedCall, result: ActuatorCallResult): Promise<PlannedCall | Nap | null> {
    const s = stateOf(t);
    const step = s.steps.find((x) => x.step_id === call.stepId)!;
    if (call.purpose === 'notify') {
      if (step.status === 'running' && step.waiting_for === 'notify') {
        const output = withNotice(step, { outcome: result.outcome, status: result.status, error: result.error });
        await this.moveStep(
          s,
          step,
          { waiting_for: 'patch', output },
          `coding agent notified: ${result.outcome}${result.error ? ` (${result.error})` : ''}`,
        );
      }
    } else if (step.status === 'running' && step.waiting_for === 'call') {
      await this.storeAnswer(s, step, result);
    } // else: a late result or a cancel finished the step while the call was out; its answer changes nothing.
    return this.settle(s);
  }

  private async settle(s: State): Promise<PlannedCall | Nap | null> {
    // Bounded: every pass finishes a step or changes the run, and a playbook has few of either.
    for (let pass = 0; pass < 500; pass++) {
      const next = await this.next(s);
      if (next === 'idle') return s.nap === undefined ? null : { nap: s.nap };
      if (next !== 'again') return next;
    }
    throw new Error(`run ${s.run.id} did not settle`);
  }

  /** One pass: the facts, the move the table gives for them (run-rules.ts), and its effects. */
  private async next(s: State): Promise<Next> {
    const { run, now } = s;
    const current = this.current(s);
    const move = nextMove(await this.facts(s, current));
    switch (move) {
      case 'sleep':
        return this.schedule(s, null);
      case 'cancel':
        return this.cancelNow(s);
      case 'time_out': {
        const reason = `timed_out: the run did not get through its steps and checks within ${this.config.runs.runTimeoutMs} ms`;
        // A run held by a failed step (paused on it for an operator) ran out of time on that step: it is the
        // one named, and the step after it, which never began, is skipped with the rest.
        if (s.steps.some((x) => x.list !== 'rollback' && holdsFailure(x))) {
          const paused = pausedOn(run, s.steps) ? '; no operator retried, skipped or rolled it back' : '';
          return this.fail(s, `${reason}: ${this.stepFailure(s)}${paused}`);
        }
        // Held by the kill switch until its deadline, the fix never got to act: an operator's freeze says
        // nothing about it (ADR 0014), so the run ends canceled, with no verdict, and rolls back what it did.
        if (run.paused_reason === KILL_SWITCH_PAUSE)
          return this.stop(
            s,
            'canceled',
            `${reason}: the kill switch held it; this says nothing about the fix`,
            'not run: the kill switch held the run until its deadline',
          );
        // So is one whose canary step waited for the shared canary until then: other runs' trials held it (ADR 0018).
        if (current?.waiting_for === 'canary')
          return this.stop(
            s,
            'canceled',
            `${reason}: step ${current.step_id} waited for the canary, which other runs' trials held; this says nothing about the fix`,
            "not run: the canary was not free before the run's deadline",
          );
        // Run out of time waiting for a person or a coding agent, who never answered: nobody knows what the fix would
        // have done (ADR 0014), as for the step's own deadline (step_deadline).
        const error = 'timed_out: the run ran out of time';
        if (current && unanswered(current))
          return this.stopUnanswered(
            s,
            current,
            error,
            `${reason}: step ${current.step_id} still waited ${waitingFor(current)}`,
            "before the run's deadline",
          );
        // A canary mid-trial restores the canary first, in the rollback, then ends timed out (stop leaves it to that).
        if (current && owesRestore(current))
          await this.interruptCanary(s, current, { reason, status: 'timed_out', error });
        else if (current) await this.finishStep(s, current, 'timed_out', { error });
        return this.fail(s, reason);
      }
      case 'pause_on_failure':
        return this.pauseOnFailure(s);
      case 'fail_on_step': {
        const by = run.rollback_requested_by;
        return this.fail(
          s,
          `${this.stepFailure(s)}${by ? `; rolled back at the request of ${by}` : ''}${this.failureStands(s)}`,
        );
      }
      case 'fail_on_recurrence': {
        // Past the run's deadline too (the turn came late, the kill switch held the checks): the recurrence is the reason, the deadline a note.
        const late =
          run.phase === 'verify' && now >= run.deadline_at
            ? `; the run also ran past its deadline (${this.config.runs.runTimeoutMs} ms) before its checks were through`
            : '';
        return this.fail(
          s,
          (run.recurrence_reason ??
            `recurrence: incident ${run.recurrence_incident_id} of the same pattern on the same agent inside the verification window`) +
            late +
            this.failureStands(s),
        );
      }
      case 'skip_rest_of_rollback':
        for (const step of s.steps.filter((x) => x.list === 'rollback' && !FINISHED_STEP.includes(x.status))) {
          await this.finishStep(s, step, 'skipped', {
            note: 'not run: an earlier rollback step failed or was not confirmed',
          });
        }
        return 'again';
      case 'start':
        await this.moveRun(s, { status: 'running', started_at: now }, 'running its steps');
        return 'again';
      case 'resume': {
        const why =
          run.status === 'awaiting_patch'
            ? 'resumed: the work order finished'
            : 'resumed: the operator finished the step';
        // Back in the rollback, the run is again what stopped it: no new verdict to audit.
        await this.moveRun(s, { status: this.workingStatus(s) }, why, run.phase !== 'rollback');
        return 'again';
      }
      case 'pause':
        if (!run.paused_reason) {
          await this.setRun(s, { paused_reason: KILL_SWITCH_PAUSE });
          await this.journal.note(s.run, s.now, KILL_SWITCH_PAUSE_NOTE);
        }
        // Turning the switch off wakes it (KillSwitchOffHandler). That wake-up misses a pause it runs
        // before this one commits (it reads the run as not paused), so the run also looks again now and then.
        return this.schedule(s, new Date(s.now.getTime() + this.config.runs.pausedRecheckMs));
      case 'unpause':
        await this.setRun(s, { paused_reason: null });
        await this.journal.note(s.run, s.now, 'resumed: the kill switch no longer stops it');
        return 'again';
      case 'judge_watch':
        return this.judgeWatch(s);
      case 'watch':
        return this.schedule(s, run.verify_until);
      case 'end_of_list':
        return this.endOfList(s);
      case 'await_retry':
      case 'await_step':
        return this.schedule(s, current!.deadline_at);
      case 'begin_step':
        return this.begin(s, current!);
      case 'repeat_call':
        return this.planCall(s, current!, { repeat: true });
      case 'fail_interrupted': {
        const step = current!;
        const error = interruptedCalls(step);
        // A canary's apply or promote lost too often may have left a candidate on the canary: restored first.
        const trial = step.kind === 'canary' && !restoringCanary(step) ? trialOf(step.canary!, step.output) : null;
        if (trial && (trial.stage === 'apply' || trial.stage === 'promote')) {
          const what =
            trial.stage === 'apply'
              ? `apply of candidate ${trial.candidates.find((c) => c.result === 'untried')!.index}`
              : 'promote';
          const then = { reason: `${what}: ${error}`, status: 'failed' as const, error, failedCall: trial.stage };
          await this.interruptCanary(s, step, then);
          return 'again';
        }
        return this.stepFailed(s, step, 'failed', error);
      }
      case 'notify':
        return this.planNotify(s, current!);
      case 'notify_interrupted': {
        // As any notice that failed: the work order waits in the queue, where coding agents list and claim it (ADR 0008 §5).
        const step = current!;
        const error = interruptedCalls(step);
        await this.moveStep(
          s,
          step,
          { waiting_for: 'patch', output: withNotice(step, { outcome: 'interrupted', status: null, error }) },
          `coding agent not notified: ${error}; work order ${step.work_order_id} waits in the queue without a notice`,
        );
        return 'again';
      }
      case 'canary_call':
        return this.planCall(s, current!);
      case 'take_canary':
        return this.takeCanary(s, current!);
      case 'step_deadline': {
        const step = current!;
        if (step.waiting_for === 'timer') {
          await this.finishStep(s, step, 'succeeded', { note: `waited ${step.duration_ms} ms` });
          return 'again';
        }
        const what =
          {
            result: 'the actuator reported no result',
            operator: 'no operator marked it done',
            patch: 'the work order did not finish',
          }[step.waiting_for as 'result'] ?? 'no answer';
        const error = `timed_out: ${what} within ${this.waitMs(step)} ms`;
        // A person or a coding agent who never answered says nothing about the fix (ADR 0014): the run stops with no
        // verdict, as a cancel, and rolls back what it did. An actuator that reported no result is the fix's own failure.
        if (run.phase !== 'rollback' && unanswered(step))
          return this.stopUnanswered(s, step, error, `step ${step.step_id} ${error}`, 'in time');
        return this.stepFailed(s, step, 'timed_out', error);
      }
    }
  }

  /** What the rule table reads. The kill switch is looked up only for automatic runs that could act. */
  private async facts(s: State, current: StepRow | undefined): Promise<RunFacts> {
    const { run, steps, now } = s;
    const working = run.phase === 'steps' || run.phase === 'verify';
    const killSwitch =
      working &&
      run.automatic &&
      killSwitchStops(await this.queries.execute(new GetKillSwitchState({ tenantId: run.tenant_id })), run.agent_id);
    return {
      phase: run.phase,
      status: run.status,
      step: stepState(current),
      cancelRequested: run.cancel_requested_by !== null && run.status !== 'canceled',
      pastDeadline: now >= run.deadline_at,
      failedStep: steps.some((x) => x.list !== 'rollback' && holdsFailure(x)),
      pauseOnFailure:
        run.on_failure === 'pause' &&
        run.rollback_requested_by === null &&
        steps.some((x) => x.list !== 'rollback' && broken(x) && pausesOnFailure(x)),
      failedRollbackStep: steps.some((x) => x.list === 'rollback' && broken(x)),
      recurrence: run.recurrence_incident_id !== null,
      waitingOnSomeone: steps.some(
        (x) =>
          x.status === 'awaiting_operator' ||
          (x.status === 'running' && (x.waiting_for === 'patch' || x.waiting_for === 'notify')),
      ),
      killSwitch,
      paused: run.paused_reason !== null,
      watchOver: run.verify_until !== null && now >= run.verify_until,
      stepDue: !current?.deadline_at || now >= current.deadline_at,
      // A step about to notify the coding agent has nothing to repeat until a notice went out.
      repeatsLeft:
        (current?.waiting_for === 'notify' && !noticeSent(current)) ||
        (current?.interrupted_calls ?? 0) < MAX_INTERRUPTED_CALLS,
    };
  }

  /**
   * The first unfinished step of the phase's list (none in the watch). In the rollback, a canary step
   * the run stopped mid-trial comes first: it restores the canary (stop, interruptCanary), the only
   * step of the steps and checks a stopped run leaves unfinished.
   */
  private current(s: State): StepRow | undefined {
    const list = s.run.phase === 'watch' || s.run.phase === 'done' ? null : s.run.phase;
    const restoring =
      list === 'rollback' ? s.steps.find((x) => x.list !== 'rollback' && !FINISHED_STEP.includes(x.status)) : undefined;
    return restoring ?? s.steps.find((x) => x.list === list && !FINISHED_STEP.includes(x.status));
  }

  /**
   * What went wrong with the failed step of the steps or checks, in words. A canary step whose own
   * promote (or apply) failed is named as it will end once the canary is restored (canaryFailure).
   */
  private stepFailure(s: State): string {
    const failed = s.steps.find((x) => x.list !== 'rollback' && holdsFailure(x))!;
    const { status, error } = canaryFailure(failed) ?? failed;
    return `step ${failed.step_id} ${status}: ${error ?? 'reported failed'}`;
  }

  /**
   * A failed step of a run that waits for an operator (DESIGN §13): nothing is undone yet and the
   * incident is still being fixed. The run sleeps until the operator retries the step, skips it or
   * asks for the rollback (ActOnPausedRun makes it due), or until its own deadline.
   */
  private async pauseOnFailure(s: State): Promise<Next> {
    if (s.run.status !== 'awaiting_operator') {
      const failed = s.steps.find((x) => x.list !== 'rollback' && broken(x))!;
      // A failed verification check (or a step of a run nothing else judges) may not be skipped (skipRefusal).
      const choices = skipRefusal(s.run, s.steps, failed) ? 'retry or roll back' : 'retry, skip or roll back';
      const reason = `${this.stepFailure(s)}; waiting for an operator to ${choices}`;
      await this.moveRun(s, { status: 'awaiting_operator', reason }, reason);
    }
    return this.schedule(s, null);
  }

  /** The run's status while it works in its phase: running, verifying, or in the rollback what stopped it. */
  private workingStatus(s: State): RunStatus {
    const { phase, verdict } = s.run;
    if (phase === 'steps') return 'running';
    if (phase === 'rollback') return verdict === 'failed' ? 'failed' : 'canceled';
    return 'verifying';
  }

  private async endOfList(s: State): Promise<Next> {
    const { run, now } = s;
    if (run.phase === 'steps') {
      // The fix is applied: from here on, its fault coming back is a recurrence.
      await this.moveRun(s, { phase: 'verify', status: 'verifying', verify_from: now }, 'steps done; verifying');
      return 'again';
    }
    if (run.phase === 'verify') {
      // Without a pattern (a reported problem) there is no recurrence to watch for, unless the playbook waits for monitoring.
      const windowMs = runWatches(run) ? this.config.runs.verifyWindowMs : 0;
      await this.setRun(s, { phase: 'watch', verify_until: new Date(now.getTime() + windowMs) });
      if (windowMs > 0) {
        const what = run.await_resolution ? "for monitoring's resolution and for a recurrence" : 'for a recurrence';
        await this.journal.note(
          s.run,
          s.now,
          `checks passed; watching ${what} until ${s.run.verify_until!.toISOString()}`,
        );
      }
      return 'again';
    }
    // The rollback list is through.
    const rollback = s.steps.filter((x) => x.list === 'rollback');
    const rollbackFailed = rollbackFailedIn(s.steps);
    const unconfirmed = s.steps
      .filter((x) => undoes(x) && x.status === 'timed_out' && x.runs_as === 'manual')
      .map((x) => x.step_id);
    const why = rollbackFailed
      ? '; the rollback failed'
      : unconfirmed.length > 0
        ? `; rollback step ${unconfirmed.join(', ')} not confirmed by an operator in time`
        : '';
    if (run.verdict === null) return this.finish(s, 'canceled', `${run.reason}${why}`);
    if (rollbackFailed) return this.finish(s, 'rollback_failed', run.reason);
    if (unconfirmed.length > 0) return this.finish(s, 'failed', `${run.reason}${why}`);
    return this.finish(s, rollback.some((x) => x.status === 'succeeded') ? 'rolled_back' : 'failed', run.reason);
  }

  /**
   * The watch is over: what occurred inside the window decides (not when it was processed). An
   * incident there that is not yet filed under a pattern could be a recurrence: the verdict waits
   * for the catalog, re-checking, at most one more window.
   */
  private async judgeWatch(s: State): Promise<Next> {
    const { run, now } = s;
    const from = run.verify_from ?? run.started_at!;
    const until = run.verify_until!;
    const evidence =
      run.pattern_id || run.incident_id
        ? await this.queries.execute(
            new FindRecurrence({
              tenantId: run.tenant_id,
              incidentId: run.incident_id,
              patternId: run.pattern_id,
              agentId: run.agent_id,
              capability: run.capability,
              from,
              until,
            }),
          )
        : { newIncident: null, refiredAt: null, unfiled: 0, resolvedByMonitoringAt: null };
    const windowMs = until.getTime() - from.getTime();
    const maxWaitOver = now.getTime() - until.getTime() >= Math.max(windowMs, VERDICT_MAX_WAIT_MS);
    const judged = judgeWatch(evidence, { awaitResolution: run.await_resolution, windowEnd: until, maxWaitOver });
    if (judged.verdict === 'failed') return this.fail(s, judged.reason);
    if (judged.verdict === 'succeeded') return this.succeed(s, judged.note);
    if (run.reason !== judged.note) {
      await this.setRun(s, { reason: judged.note });
      await this.journal.note(s.run, s.now, judged.note);
    }
    return this.schedule(s, new Date(now.getTime() + this.config.outbox.pollIntervalMs * 5));
  }

  private async begin(s: State, step: StepRow): Promise<Next> {
    const { now } = s;
    if (step.run_if) {
      const verdict = evaluate(step.run_if, {
        steps: Object.fromEntries(s.steps.map((x) => [x.step_id, { status: x.status, output: x.output ?? null }])),
      });
      if (!('value' in verdict) || !verdict.value) {
        const why =
          'value' in verdict
            ? `its condition (${step.run_if}) is false`
            : `its condition could not be decided: ${verdict.error}`;
        await this.finishStep(s, step, 'skipped', { note: `skipped: ${why}` });
        return 'again';
      }
    }
    switch (step.kind) {
      case 'webhook':
      case 'check':
        return this.planCall(s, step, {
          missing: `actuator "${step.actuator}" is not configured: a person does it (${step.instruction})`,
        });
      case 'manual':
        return this.awaitOperator(s, step, null);
      case 'wait': {
        const until = new Date(now.getTime() + (step.duration_ms ?? 0));
        await this.moveStep(
          s,
          step,
          { status: 'running', waiting_for: 'timer', started_at: now, deadline_at: until },
          `waiting ${step.duration_ms} ms`,
        );
        await this.runStatus(s, this.workingStatus(s));
        return 'again';
      }
      case 'escalate':
        return this.escalate(s, step);
      case 'canary':
        return this.takeCanary(s, step);
    }
  }

  /**
   * A canary step's trial begins once its run holds the canary (the step's actuator, shared by the
   * tenant's runs): one trial at a time, or each would measure its candidates under the other's load,
   * and one's restore would undo what the other measures (ADR 0018). Held by another run's trial, the
   * step waits for it, not started (its time, the step's budget and the canary budget's, begins with
   * the canary); the release makes it due (CanaryLeasesRepository), it looks again every
   * RUN_PAUSED_RECHECK_MS (a wake-up can miss it), and the run's deadline bounds the wait. A step whose
   * actuator is not configured goes to a person (planCall), and takes nothing.
   */
  private async takeCanary(s: State, step: StepRow): Promise<Next> {
    const trial = startTrial(step.canary!);
    const holder = s.actuators.has(step.actuator!)
      ? await this.canaries.take(s.run.tenant_id, step.actuator!, s.run.id)
      : null;
    if (holder !== null) {
      // Said once: a look that finds the canary still held (a wake-up, a re-check) changes nothing.
      if (step.waiting_for !== 'canary')
        await this.moveStep(
          s,
          step,
          { status: 'running', waiting_for: 'canary', output: trial },
          `waiting for the canary: run ${holder} is trying candidates on ${step.actuator}`,
        );
      await this.runStatus(s, this.workingStatus(s));
      // The release wakes it, but skips a run whose row another transaction has locked at that moment (an
      // operator's request answered 409, a pattern merge): it also looks again now and then, as a run the
      // kill switch paused does, so a missed wake-up costs at most that long, not the wait until its deadline.
      return this.schedule(s, new Date(s.now.getTime() + this.config.runs.pausedRecheckMs));
    }
    const n = step.canary!.candidates.length;
    await this.moveStep(
      s,
      step,
      { status: 'running', waiting_for: 'next', started_at: s.now, output: trial },
      `trying ${n} candidate${n === 1 ? '' : 's'} on the canary`,
    );
    await this.runStatus(s, this.workingStatus(s));
    return 'again';
  }

  /**
   * The trial of canary step `step` is over (its promote or restore answered, or a person took the
   * step). Its canary is given back now only if the run's rollback cannot touch it: a rollback list
   * that calls the canary's actuator (tune_config's restore_config acts "in production and on the
   * canary") may still act on it, after a cancel, the run's deadline, a failed check or a recurrence,
   * and would undo a candidate another run's trial is measuring. Such a run keeps the canary until it
   * ends (finish), through its checks, its watch and any wait for a person or a coding agent (ADR 0018).
   */
  private async trialOver(s: State, step: StepRow): Promise<void> {
    const rollbackTouches = s.steps.some((x) => x.list === 'rollback' && x.actuator === step.actuator);
    if (!rollbackTouches) await this.releaseCanary(s, step.actuator!);
  }

  /** Gives back the run's canaries (every one, or `actuator`'s): the next waiting trial may take it. */
  private async releaseCanary(s: State, actuator?: string): Promise<void> {
    if ((await this.canaries.release(s.run.id, actuator)) > 0) this.wakeups.afterCommit();
  }

  /** A manual step, or a webhook or check whose actuator is missing: the run waits for a person. */
  private async awaitOperator(s: State, step: StepRow, note: string | null): Promise<Next> {
    const timeout = step.kind === 'manual' ? step.timeout_ms : Math.max(step.timeout_ms, HUMAN_STEP_TIMEOUT_MS);
    await this.moveStep(
      s,
      step,
      {
        status: 'awaiting_operator',
        waiting_for: 'operator',
        runs_as: 'manual',
        started_at: step.started_at ?? s.now,
        deadline_at: new Date(s.now.getTime() + timeout),
        timeout_ms: timeout,
        // A canary step a person takes over no longer counts as canary time (the canary budget).
        ...(step.kind === 'canary' && { output: handOverTrial(trialOf(step.canary!, step.output), s.now) }),
      },
      note,
    );
    if (step.kind === 'canary') await this.trialOver(s, step);
    await this.runStatus(s, 'awaiting_operator');
    return this.schedule(s, s.steps.find((x) => x.step_id === step.step_id)!.deadline_at);
  }

  /**
   * Marks the step as calling and returns the call to make once this commits. A repeat is the
   * same call again after its answer was lost (the service stopped mid-call, DESIGN §8): same
   * webhook-id, not counted as an attempt.
   */
  private async planCall(s: State, step: StepRow, o: { repeat?: boolean; missing?: string } = {}): Promise<Next> {
    const actuator = s.actuators.get(step.actuator!);
    if (!actuator)
      return this.awaitOperator(
        s,
        step,
        o.missing ?? `actuator "${step.actuator}" is no longer configured: a person does it`,
      );
    const repeat = o.repeat ?? false;
    const timeoutMs = Math.min(step.timeout_ms, actuator.timeout_ms);
    const call =
      step.kind === 'canary'
        ? await this.markCanaryCall(s, step, repeat)
        : await this.markCall(s, step, actuator, repeat);
    await this.runStatus(s, this.workingStatus(s));
    await this.holdLease(s, actuator, timeoutMs);
    const { run } = s;
    const current = s.steps.find((x) => x.step_id === step.step_id)!;
    return {
      purpose: 'step',
      runId: run.id,
      tenantId: run.tenant_id,
      stepId: step.step_id,
      actuator: actuator.name,
      actuatorRow: actuator,
      webhookId: call.webhookId,
      timeoutMs,
      repeat,
      slot: s.slot,
      payload: {
        runId: run.id,
        stepId: step.step_id,
        kind: step.kind,
        ...(call.stage && { stage: call.stage }),
        attempt: current.attempts,
        instruction: step.instruction,
        incident: run.context.incident,
        pattern: run.context.pattern,
        ...(run.context.problem ? { problem: run.context.problem } : {}),
        params: call.params,
        ...call.extra,
      },
    };
  }

  /**
   * A webhook or check step's call: its attempt (or the repeat) noted on the step, with the secrets
   * it carries sealed, for the redaction of its late result (StepCallSecrets).
   */
  private async markCall(s: State, step: StepRow, actuator: ActuatorRow, repeat: boolean): Promise<CallParts> {
    const call_secrets_sealed = this.callSecrets.sealFor(actuator, step.call_secrets_sealed);
    if (repeat) {
      await this.moveStep(
        s,
        step,
        { interrupted_calls: step.interrupted_calls + 1, call_secrets_sealed },
        `the call of attempt ${step.attempts} has no stored answer (the service stopped mid-call): calling again with the same webhook-id, not counted as an attempt`,
      );
    } else {
      const attempt = step.attempts + 1;
      await this.moveStep(
        s,
        step,
        {
          status: 'running',
          waiting_for: 'call',
          attempts: attempt,
          started_at: step.started_at ?? s.now,
          deadline_at: null,
          call_secrets_sealed,
        },
        `attempt ${attempt} of ${step.max_attempts}`,
      );
    }
    return {
      webhookId: step.webhook_id,
      params: step.params,
      // Where and how to report a late result after answering 202. The route is the step's; the token
      // is this call's (its webhook-id): after an operator's retry, the replaced call's result is refused.
      extra: {
        callback: {
          path: `/runs/${s.run.id}/steps/${step.step_id}/result`,
          token: this.tokens.tokenFor(step.webhook_id),
        },
      },
    };
  }

  /**
   * A canary step's next call (canary-trial.ts decides which from its stored trial): apply the next
   * candidate (its own webhook-id; the step's timeout is the candidate's), promote the winner, or
   * restore the canary. A repeat after a crash sends the call that was out: read from the trial as
   * stored when that call was marked, not from the clock (the step's budget may have run out since,
   * which would make it a promote or a restore and mark the candidate on the canary not tried).
   */
  private async markCanaryCall(s: State, step: StepRow, repeat: boolean): Promise<CallParts> {
    const spec = step.canary!;
    const stored = trialOf(spec, step.output);
    const elapsedMs = s.now.getTime() - (step.started_at ?? s.now).getTime();
    const { trial, call } = repeat
      ? { trial: stored, call: callOf(spec, stored, step.params) }
      : nextCall(spec, stored, elapsedMs, s.now, step.params);
    // A trial is done once its promote or restore answered, which finishes the step: there is always a call here.
    if (!call) throw new Error(`canary step ${step.step_id} of run ${s.run.id} has no call left but is not finished`);
    const what =
      call.stage === 'apply'
        ? `applying candidate ${call.candidate!.index}`
        : call.stage === 'promote'
          ? `promoting candidate ${call.candidate!.index}`
          : 'restoring the canary';
    if (repeat) {
      await this.moveStep(
        s,
        step,
        { interrupted_calls: step.interrupted_calls + 1, output: trial },
        `the call ${what} has no stored answer (the service stopped mid-call): calling again with the same webhook-id`,
      );
    } else {
      // Promote and restore may be retried up to the step's attempts; an apply is never retried.
      const attempt = step.attempts + 1;
      await this.moveStep(
        s,
        step,
        { waiting_for: 'call', attempts: attempt, output: trial, deadline_at: null },
        call.stage === 'apply' ? what : `${what} (attempt ${attempt} of ${step.max_attempts})`,
      );
    }
    return {
      // Each candidate, the promote and the restore are calls of their own, each with its own idempotency key.
      webhookId: `${step.webhook_id}.${call.idSuffix}`,
      stage: call.stage,
      params: call.params,
      extra: { candidate: call.candidate },
    };
  }

  /**
   * A person or a coding agent never answered `step` (unanswered): it times out, and the run stops
   * canceled, with no verdict, rolling back what it did (ADR 0014: nobody knows what the fix would do).
   */
  private async stopUnanswered(s: State, step: StepRow, error: string, why: string, when: string): Promise<Next> {
    await this.finishStep(s, step, 'timed_out', { error });
    return this.stop(
      s,
      'canceled',
      `${why}; nobody answered, so this says nothing about the fix`,
      `not run: nobody answered for step ${step.step_id} ${when}`,
    );
  }

  /**
   * The run stops while this canary step may have left the canary dirty (owesRestore), or the step's
   * own promote, or an apply's calls, failed (`then.failedCall`; the last candidate applied may be on
   * the canary): the step stays running, its trial's next call the restore (interruptTrial), which the
   * rollback makes first, with the step's attempts and retries, under its own webhook-id (`.restore`),
   * signed and through the egress rule as any call; a crash repeats that one call. Once it answers, the
   * step ends as `then.status`. The kill switch does not hold it, as it does not hold a rollback
   * (run-rules.ts). A restore already under way keeps its attempt, its retry time and any call out.
   * A step whose own call failed is, meanwhile, the failure the run holds (holdsFailure): the run fails
   * with it (its reason and verdict as if the step had ended then, ADR 0014) and rolls back, restore first.
   */
  private async interruptCanary(s: State, step: StepRow, then: CanaryInterruption): Promise<void> {
    const spec = step.canary!;
    const stored = trialOf(spec, step.output);
    const trial = interruptTrial(spec, stored, s.now, then, step.waiting_for === 'call');
    const fresh =
      stored.stage === 'restore'
        ? {}
        : { waiting_for: 'next', attempts: 0, interrupted_calls: 0, deadline_at: null, error: null };
    const note = then.failedCall
      ? `${then.reason}: the canary is restored before the step ends ${then.status}`
      : `the run stopped mid-trial (${then.reason}): the canary is restored before the rollback`;
    await this.moveStep(s, step, { output: trial, ...fresh }, note);
  }

  /**
   * A canary call failed for good (its retries used up, or its answer a failure). A promote's failure
   * leaves the last candidate applied on the canary: restored first (interruptCanary), the step then
   * fails with the promote's error. A restore's failure fails the step with its error; made in the
   * rollback (an interrupted trial), it is the run's rollback failing (undoes).
   */
  private async canaryCallFailed(
    s: State,
    step: StepRow,
    trial: CanaryOutput,
    status: 'failed' | 'timed_out',
    error: string,
  ): Promise<void> {
    if (trial.stage === 'promote' && !trial.interrupted)
      await this.interruptCanary(s, step, { reason: error, status, error, failedCall: 'promote' });
    else await this.stepFailed(s, step, status, error, trial);
  }

  /** A canary call's answer: a candidate judged, or the promote or restore done (the step finishes or escalates). */
  private async storeCanaryAnswer(s: State, step: StepRow, r: ActuatorCallResult): Promise<void> {
    const spec = step.canary!;
    const trial = trialOf(spec, step.output);
    if (trial.stage === 'apply') {
      const index = trial.candidates.find((c) => c.result === 'untried')!.index;
      const judged = judgeCandidate(spec, trial, index, r, s.now);
      const c = judged.candidates[index]!;
      const score = c.score !== null ? ` (score ${c.score})` : '';
      const note = `candidate ${index} ${c.result}${score}${c.reason ? `: ${c.reason}` : ''}`;
      // attempts back to 0: the promote or restore that may come next counts its own.
      await this.moveStep(s, step, { waiting_for: 'next', attempts: 0, output: judged }, note);
      return;
    }
    const what = trial.stage === 'promote' ? 'promote' : 'restore';
    switch (r.outcome) {
      case 'succeeded':
        break;
      case 'not_configured':
        await this.awaitOperator(s, step, `actuator "${step.actuator}" is no longer configured: a person does it`);
        return;
      case 'retryable':
        if (step.attempts < step.max_attempts) {
          const delay = retryDelayMs(step.attempts, r.retryAfterMs, this.config.runs.retryBaseMs, MAX_RETRY_DELAY_MS);
          const retryAt = new Date(s.now.getTime() + delay);
          await this.moveStep(
            s,
            step,
            { waiting_for: 'next', error: r.error, deadline_at: retryAt },
            `${what}: ${r.error}: retry in ${delay} ms`,
          );
          return;
        }
        await this.canaryCallFailed(
          s,
          step,
          trial,
          r.error === 'timed out' ? 'timed_out' : 'failed',
          `${what}: ${r.error} (attempt ${step.attempts} of ${step.max_attempts})`,
        );
        return;
      default: {
        const why =
          r.outcome === 'accepted'
            ? 'answered 202: a canary step needs the answer, not a later result'
            : (r.error ?? 'the actuator reported a failure');
        await this.canaryCallFailed(s, step, trial, 'failed', `${what}: ${why}`);
        return;
      }
    }
    const done = finishTrial(spec, trial, s.now);
    await this.trialOver(s, step);
    if (done.interrupted) {
      // The run stopped mid-trial (or the step's promote failed) and the canary is back: the step ends as
      // interruptCanary made it, with the promote's error for a promote that failed.
      await this.finishStep(s, step, done.interrupted.status, {
        output: done,
        error: done.interrupted.error,
        note: done.summary!,
      });
      return;
    }
    if (done.outcome === 'promoted') {
      await this.finishStep(s, step, 'succeeded', { output: done, note: done.summary! });
      await this.journal.canaryPromoted(s.run, step.step_id, done);
      return;
    }
    if (spec.onNoCandidate === 'fail') {
      await this.stepFailed(s, step, 'failed', done.summary!, done);
      return;
    }
    // onNoCandidate: escalate: the step hands the tuning to a coding agent, its trial kept as its output.
    await this.moveStep(s, step, { output: done, error: done.summary }, done.summary);
    await this.escalate(
      s,
      s.steps.find((x) => x.step_id === step.step_id)!,
      HUMAN_STEP_TIMEOUT_MS,
    );
  }

  private async storeAnswer(s: State, step: StepRow, r: ActuatorCallResult): Promise<void> {
    if (step.kind === 'canary') return this.storeCanaryAnswer(s, step, r);
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
        await this.moveStep(
          s,
          step,
          { waiting_for: 'result', output, deadline_at: new Date(s.now.getTime() + step.timeout_ms) },
          `accepted (202): waiting up to ${step.timeout_ms} ms for the result`,
        );
        return;
      case 'not_configured':
        await this.awaitOperator(s, step, `actuator "${step.actuator}" is no longer configured: a person does it`);
        return;
      case 'retryable': {
        if (step.attempts >= step.max_attempts) {
          await this.stepFailed(
            s,
            step,
            r.error === 'timed out' ? 'timed_out' : 'failed',
            `${r.error} (attempt ${step.attempts} of ${step.max_attempts})`,
            output,
          );
          return;
        }
        const delay = retryDelayMs(step.attempts, r.retryAfterMs, this.config.runs.retryBaseMs, MAX_RETRY_DELAY_MS);
        await this.moveStep(
          s,
          step,
          {
            status: 'pending',
            waiting_for: null,
            error: r.error,
            output,
            deadline_at: new Date(s.now.getTime() + delay),
          },
          `${r.error}: retry in ${delay} ms${r.retryAfterMs !== null ? ` (Retry-After ${r.retryAfterMs} ms)` : ''}`,
        );
      }
    }
  }

  /** Hands the step to a coding agent: a work order, then (if configured) a signed notice to the `coding-agent` actuator. */
  private async escalate(s: State, step: StepRow, timeoutMs = step.timeout_ms): Promise<Next> {
    const { run, now } = s;
    const lastErrors = s.steps.filter((x) => x.error).map((x) => `${x.step_id}: ${x.error}`);
    const problem = run.context.problem;
    const brief = run.incident_id
      ? await this.queries.execute(
          new BuildWorkOrderContext({
            tenantId: run.tenant_id,
            incidentId: run.incident_id,
            runId: run.id,
            lastErrors,
          }),
        )
      : null;
    const order = await this.commands.execute(
      new CreateWorkOrder({
        tenantId: run.tenant_id,
        runId: run.id,
        incidentId: run.incident_id,
        stepId: step.step_id,
        description: problem
          ? `${step.instruction} Reported problem (${problem.errorType}): ${problem.description}`
          : `${step.instruction} (playbook ${run.playbook_id})`,
        context: brief?.context ?? {
          incident: null,
          pattern: null,
          affectedAgents: run.agent_id ? [run.agent_id] : [],
          capabilities: run.capability ? [run.capability] : [],
          lastErrors,
          runId: run.id,
          filePath: problem?.filePath ?? null,
        },
        priority: brief?.priority ?? 'medium',
        complexity: brief?.complexity ?? 'medium',
      }),
    );
    // One raised on an incident resolved already is withdrawn at once (nothing left to patch): no notice for it.
    const notify = order.status === 'queued' && s.actuators.has(CODING_AGENT_ACTUATOR);
    await this.moveStep(
      s,
      step,
      {
        status: 'running',
        waiting_for: notify ? 'notify' : 'patch',
        work_order_id: order.id,
        started_at: step.started_at ?? now,
        deadline_at: new Date(now.getTime() + timeoutMs),
      },
      `escalated to a coding agent: work order ${order.id}`,
    );
    await this.moveRun(
      s,
      { status: 'awaiting_patch' },
      `escalated to a coding agent: waiting for work order ${order.id}`,
    );
    return 'again';
  }

  private async planNotify(s: State, step: StepRow): Promise<Next> {
    const actuator = s.actuators.get(CODING_AGENT_ACTUATOR);
    if (!actuator) {
      // A notice sent before it went has no answer to wait for any more.
      const gone = noticeSent(step)
        ? { output: withNotice(step, { outcome: 'not_configured', status: null, error: 'the actuator is gone' }) }
        : {};
      await this.moveStep(
        s,
        step,
        { waiting_for: 'patch', ...gone },
        'the coding-agent actuator is gone: not notified',
      );
      return 'again';
    }
    // Noted before the call, as a step's call is: a turn that finds it still without an answer
    // after this one committed finds a notice lost to a crash, repeated (same webhook-id) up to
    // MAX_INTERRUPTED_CALLS times as a call is, then given up (notify_interrupted).
    const repeat = noticeSent(step);
    if (repeat) {
      await this.moveStep(
        s,
        step,
        { interrupted_calls: step.interrupted_calls + 1 },
        `the notice to the coding agent has no stored answer (the service stopped mid-call): notifying again with the same webhook-id`,
      );
    } else {
      await this.moveStep(
        s,
        step,
        { output: withNotice(step, { outcome: 'sent', status: null, error: null }) },
        `notifying the coding agent of work order ${step.work_order_id}`,
      );
    }
    await this.holdLease(s, actuator, actuator.timeout_ms);
    return {
      purpose: 'notify',
      repeat,
      slot: s.slot,
      runId: s.run.id,
      tenantId: s.run.tenant_id,
      stepId: step.step_id,
      actuator: actuator.name,
      actuatorRow: actuator,
      webhookId: `${step.webhook_id}.work-order`,
      timeoutMs: actuator.timeout_ms,
      payload: {
        type: 'work_order.created',
        workOrderId: step.work_order_id,
        runId: s.run.id,
        stepId: step.step_id,
        incidentId: s.run.incident_id,
        path: `/patches/work-orders/${step.work_order_id}`,
      },
    };
  }

  /** A step that failed or timed out: in the steps or checks the run fails (and rolls back); in the rollback, the rest of it is skipped. */
  private async stepFailed(
    s: State,
    step: StepRow,
    status: 'failed' | 'timed_out',
    error: string,
    output?: unknown,
  ): Promise<Next> {
    // next() fails the run (or, in the rollback, skips the rest of it).
    await this.finishStep(s, step, status, { error, output });
    return 'again';
  }

  /** The run failed: what is left of its steps and checks is skipped, then its rollback runs. */
  private async fail(s: State, reason: string): Promise<Next> {
    return this.stop(s, 'failed', reason, 'not run: the run failed');
  }

  /**
   * A cancel requested before the engine turned a failure the run holds into its verdict does not
   * erase it (run-rules.ts): the run fails with it, and its reason says so.
   */
  private failureStands(s: State): string {
    const by = s.run.cancel_requested_by;
    return by ? `; the failure stands over the cancel requested by ${by}` : '';
  }

  private async cancelNow(s: State): Promise<Next> {
    const by = s.run.cancel_requested_by!;
    return this.stop(s, 'canceled', `canceled by ${by}`, `canceled by ${by}`);
  }

  /**
   * Ends the forward part of a run: the rest of its steps and checks is skipped, its open work
   * orders are withdrawn (a timed-out escalation too), and its rollback runs, unless no step ever
   * started (a step an operator retried had), in which case there is nothing to undo. A failure is
   * the run's verdict from here on, and its incident is no longer being mitigated (it is open
   * again) whatever the rollback does.
   */
  private async stop(s: State, status: 'failed' | 'canceled', reason: string, skipNote: string): Promise<Next> {
    for (const step of s.steps.filter((x) => x.list !== 'rollback' && !FINISHED_STEP.includes(x.status))) {
      // A canary step mid-trial stays unfinished: the rollback restores the canary first, then it ends skipped.
      if (restoringCanary(step)) continue;
      if (owesRestore(step)) await this.interruptCanary(s, step, { reason, status: 'skipped', error: null });
      else await this.finishStep(s, step, 'skipped', { note: skipNote });
    }
    await this.withdrawWorkOrders(s, s.steps, reason);
    const touched = s.steps.some((x) => x.list !== 'rollback' && touchedBy(x));
    if (!touched) {
      const asked = s.steps.filter((x) => x.list !== 'rollback' && x.started_at !== null).map((x) => x.step_id);
      const note =
        asked.length > 0
          ? `not run: nothing to undo; no call was made, and nobody answered step ${asked.join(', ')}`
          : 'not run: no step had started, nothing to undo';
      for (const step of s.steps.filter((x) => x.list === 'rollback' && !FINISHED_STEP.includes(x.status)))
        await this.finishStep(s, step, 'skipped', { note });
    }
    const rollingBack = touched && s.steps.some((x) => x.list === 'rollback');
    const verdict = status === 'failed' ? { verdict: 'failed', verdict_at: s.now } : {};
    await this.moveRun(
      s,
      { status, reason, phase: 'rollback', paused_reason: null, ...verdict },
      rollingBack ? `${reason}; rolling back` : reason,
    );
    await this.stopMitigating(s, `run ${s.run.id} ${status}`);
    return 'again';
  }

  private async succeed(s: State, note: string): Promise<Next> {
    const next = await this.finish(s, 'succeeded', null, `verified: ${note}`);
    if (s.run.incident_id) {
      await this.commands.execute(
        new ResolveIncident({
          tenantId: s.run.tenant_id,
          incidentId: s.run.incident_id,
          resolvedBy: resolvedByRun(s.run.id),
          // The incidents pillar cannot read runs: the run says whether a person had a hand in it.
          personActed: personActedIn(s.run, s.steps),
          note: `verified by run ${s.run.id} (playbook ${s.run.playbook_id})`,
        }),
      );
    }
    return next;
  }

  private async finish(s: State, status: RunStatus, reason: string | null, note = reason ?? status): Promise<Next> {
    const { run } = s;
    // However it ended: a run whose rollback may act on its canary kept it until now (trialOver).
    if (s.steps.some((x) => x.kind === 'canary')) await this.releaseCanary(s);
    // A rollback step that escalated and timed out leaves its order open (stop() withdrew the others).
    await this.withdrawWorkOrders(
      s,
      s.steps.filter((x) => x.list === 'rollback'),
      reason ?? status,
    );
    const verdict = status === 'succeeded' ? { verdict: 'succeeded', verdict_at: s.now } : {};
    await this.moveRun(
      s,
      {
        status,
        reason,
        phase: 'done',
        finished_at: s.now,
        due_at: null,
        lease_until: null,
        lease_token: null,
        paused_reason: null,
        ...verdict,
      },
      note,
    );
    await this.events.publish(
      new RecoveryRunFinished({
        tenantId: run.tenant_id,
        runId: run.id,
        incidentId: run.incident_id,
        recoveryId: run.recovery_id,
        patternId: run.pattern_id,
        agentId: run.agent_id,
        capability: run.capability,
        playbook: run.playbook_id,
        outcome: status as RecoveryRunFinished['outcome'],
        automatic: run.automatic,
        reason,
        rollbackFailed: rollbackFailedIn(s.steps),
        timedOut: status !== 'succeeded' && stoppedByDeadline(run, s.steps),
      }),
    );
    return 'idle';
  }

  /** Cancels the open work orders of these steps: the run no longer waits for them. */
  private async withdrawWorkOrders(s: State, steps: StepRow[], reason: string): Promise<void> {
    for (const step of steps.filter((x) => x.work_order_id)) {
      await this.commands
        .execute(
          new ActOnWorkOrder({
            tenantId: s.run.tenant_id,
            workOrderId: step.work_order_id!,
            keyId: '',
            actor: `run ${s.run.id}`,
            role: null,
            action: { kind: 'cancel', reason },
          }),
        )
        .catch(() => undefined); // already finished: nothing to withdraw
    }
  }

  /** The incident goes back to open, unless another run of it is still trying. */
  private async stopMitigating(s: State, why: string): Promise<void> {
    const { run } = s;
    if (!run.incident_id) return;
    // Under the incident's lock: two of its runs stopping at once would otherwise each see the
    // other still trying, and leave it mitigating; a run starting holds the same lock.
    await this.commands.execute(new LockIncident({ tenantId: run.tenant_id, incidentId: run.incident_id }));
    if (!(await this.runs.otherActiveRun(run))) {
      await this.commands.execute(
        new SetIncidentMitigation({
          tenantId: run.tenant_id,
          incidentId: run.incident_id,
          mitigating: false,
          reason: why,
        }),
      );
    }
  }

  private async finishStep(
    s: State,
    step: StepRow,
    status: 'succeeded' | 'failed' | 'timed_out' | 'skipped',
    o: { output?: unknown; error?: string | null; note?: string },
  ): Promise<void> {
    await this.moveStep(
      s,
      step,
      {
        status,
        waiting_for: null,
        finished_at: s.now,
        error: o.error ?? null,
        deadline_at: null,
        ...(o.output !== undefined ? { output: o.output } : {}),
      },
      o.note ?? null,
    );
  }

  private waitMs(step: StepRow): number {
    return step.deadline_at && step.started_at
      ? step.deadline_at.getTime() - step.started_at.getTime()
      : step.timeout_ms;
  }

  /** The run's status while it works (workingStatus), or waiting on someone: in the rollback too, so a rollback waiting for a person is listed as such. */
  private async runStatus(s: State, status: RunStatus): Promise<void> {
    if (s.run.status === status) return;
    await this.moveRun(s, { status }, status === 'awaiting_operator' ? 'waiting for an operator' : 'working');
  }

  /**
   * The lease covers the call about to be made, and its wait for a slot on the actuator (CallSlots), with a margin.
   * The run is due again when it lapses (as after its claim): taken over then if this worker died.
   */
  private async holdLease(s: State, actuator: ActuatorRow, callMs: number): Promise<void> {
    // Each call ahead in the line ends within the actuator's timeout (a step may ask for less, as this one may).
    const slotWaitMs = this.slots.plan(s.slot, s.run.tenant_id, actuator.name, actuator.timeout_ms);
    const until = new Date(s.now.getTime() + slotWaitMs + callMs + this.config.runs.leaseMarginMs);
    await this.setRun(s, { lease_until: until, due_at: until });
  }

  /**
   * Sleeps until `at` (null: until something wakes the run). A nap (due again within NAP_MAX_MS,
   * where the engine may keep the run) keeps the lease, as for a call, and the run is due when that
   * lapses: taken over then if this worker died. Otherwise the lease is released.
   */
  private async schedule(s: State, at: Date | null): Promise<'idle'> {
    const { phase, deadline_at } = s.run;
    // In its steps and checks a run also wakes at its own deadline, whatever it waits for.
    const wake =
      phase === 'done'
        ? null
        : (phase === 'steps' || phase === 'verify') && (at === null || at > deadline_at)
          ? deadline_at
          : at;
    // The database's clock on both sides, plus a millisecond so as not to be early.
    const inMs = wake && wake.getTime() - s.now.getTime() + 1;
    if (s.mayNap && inMs !== null && inMs <= NAP_MAX_MS) {
      const until = new Date(s.now.getTime() + inMs + this.config.runs.leaseMarginMs);
      await this.setRun(s, { due_at: until, lease_until: until });
      s.nap = inMs;
      return 'idle';
    }
    await this.setRun(s, { due_at: wake, lease_until: null, lease_token: null });
    // This replica's engine wakes for it then, without looking the time up again.
    if (inMs !== null) this.wakeups.inAfterCommit(inMs);
    return 'idle';
  }

  private async setRun(s: State, set: Partial<Record<keyof RunRow, unknown>>): Promise<void> {
    s.run = await this.runs.changeRunAtCommit(s.run, set);
  }

  private async moveRun(
    s: State,
    set: Partial<Record<keyof RunRow, unknown>>,
    note: string,
    audited = true,
  ): Promise<void> {
    const from = s.run.status;
    await this.setRun(s, set);
    await this.journal.run(s.run, s.now, from, note, from !== s.run.status, audited);
  }

  private async moveStep(
    s: State,
    step: StepRow,
    set: Partial<Record<keyof StepRow, unknown>>,
    note: string | null,
  ): Promise<void> {
    const current = s.steps.find((x) => x.step_id === step.step_id)!;
    const from = current.status;
    const row = await this.runs.changeStepAtCommit(current, set);
    s.steps = s.steps.map((x) => (x.step_id === row.step_id ? row : x));
    await this.journal.step(s.run, s.now, row, from, note);
  }
}

const stateOf = (t: TurnInput): State => ({
  run: t.run,
  steps: t.steps,
  actuators: t.actuators,
  now: t.run.locked_at,
  mayNap: t.mayNap,
  slot: t.slot,
});

/** Why a step's call, or its notice, is given up after crashes. */
const interruptedCalls = (step: StepRow): string =>
  `no stored answer after ${step.interrupted_calls} interrupted calls (the service stopped mid-call each time)`;

/** What became of the notice to the coding agent, kept in its step's output: `sent` until its answer is stored. */
interface Notice {
  outcome: ActuatorCallResult['outcome'] | 'sent' | 'interrupted';
  status: number | null;
  error: string | null;
}

/** A notice went out for this step and no answer was stored. */
const noticeSent = (step: StepRow): boolean =>
  (step.output as { notification?: Notice } | null)?.notification?.outcome === 'sent';

/** The step's output with its notice set (null: removed). A canary step that escalated keeps its trial beside it. */
function withNotice(step: StepRow, notification: Notice | null): unknown {
  const { notification: _old, ...rest } = (step.kind === 'canary' ? (step.output ?? {}) : {}) as {
    notification?: Notice;
  };
  if (notification) return { ...rest, notification };
  return Object.keys(rest).length > 0 ? rest : null;
}

/**
 * A step of the steps or checks that waits for someone's answer: a person's (a manual step, or a
 * webhook or check run as manual) or a coding agent's (an escalation's work order). If none comes in
 * time, nobody knows what the fix would have done (ADR 0014). A canary step that escalated is not one:
 * its trial, which no candidate passed, is evidence the fix already produced.
 */
function unanswered(step: StepRow): boolean {
  if (step.status === 'awaiting_operator') return step.waiting_for === 'operator';
  return (
    step.kind === 'escalate' &&
    step.status === 'running' &&
    (step.waiting_for === 'patch' || step.waiting_for === 'notify')
  );
}

/**
 * A canary step of the steps or checks that may have left the canary dirty (leavesCanaryDirty) and
 * that the engine runs: one a person took over (its actuator not configured) is theirs to restore.
 */
function owesRestore(step: StepRow): boolean {
  if (step.kind !== 'canary' || step.status !== 'running' || step.runs_as === 'manual') return false;
  return leavesCanaryDirty(trialOf(step.canary!, step.output), step.waiting_for === 'call');
}

/** Why a canary step is restoring the canary before it ends (interruptCanary); null for any other step. */
const interruptionOf = (step: StepRow): CanaryInterruption | null =>
  step.kind === 'canary'
    ? ((step.output as { interrupted?: CanaryInterruption | null } | null)?.interrupted ?? null)
    : null;

/** A canary step the run stopped mid-trial, or whose own call failed, restoring the canary (interruptCanary). */
const restoringCanary = (step: StepRow): boolean => interruptionOf(step) !== null;

/**
 * A canary step whose own promote (or an apply's calls) failed, restoring the canary before it ends
 * so (interruptCanary): how it will end, its status and error. Null for any other step.
 */
function canaryFailure(step: StepRow): { status: string; error: string | null } | null {
  if (FINISHED_STEP.includes(step.status)) return null;
  const then = interruptionOf(step);
  return then?.failedCall ? { status: then.status, error: then.error } : null;
}

/**
 * The step may have changed something, so a run that stops has something to undo: it started (a call went out,
 * a timer ran, a person or a coding agent answered), or an operator retried it (pending again, but its earlier
 * call was made), or a stop cut off its call (no attempt counted, but the call was made). Not a step that only
 * waited for someone who never answered (unanswered: a person, for a step run as manual that made no call, or a
 * coding agent whose work order never finished): nothing was called for it, and nobody said they did anything,
 * as the run's verdict already reads it (ADR 0014). Undoing it would run the rollback list, calls included
 * (`code_patch` reverts a deploy), for a change nobody made.
 */
function touchedBy(step: StepRow): boolean {
  if (isRetryCall(step.webhook_id) || step.cut_off_calls > 0) return true;
  if (step.started_at === null) return false;
  const waitedOnly =
    step.kind !== 'canary' &&
    step.attempts === 0 &&
    (step.runs_as === 'manual' || step.kind === 'escalate') &&
    (step.status === 'timed_out' || step.status === 'skipped');
  return !waitedOnly;
}

/** The step failed or timed out. */
const broken = (step: StepRow): boolean => step.status === 'failed' || step.status === 'timed_out';

/**
 * A failure the step holds: it failed or timed out, or it is a canary step failing once the canary is
 * restored (canaryFailure). The run fails with it as soon as it is held, not after the restore.
 */
const holdsFailure = (step: StepRow): boolean => broken(step) || canaryFailure(step) !== null;

const waitingFor = (step: StepRow): string =>
  step.status === 'awaiting_operator' ? 'for an operator' : `for its work order ${step.work_order_id}`;

/**
 * A deadline stopped the run: the run's own (its reason says `timed_out: …`, the kill switch's hold
 * too) or a forward step's, which ended `timed_out` (a skipped one ends `skipped`; a canary's restore
 * that timed out in the rollback is the rollback's failure, undoes).
 */
function stoppedByDeadline(run: RunRow, steps: StepRow[]): boolean {
  return (
    (run.reason?.startsWith('timed_out') ?? false) ||
    steps.some((x) => x.list !== 'rollback' && !undoes(x) && x.status === 'timed_out')
  );
}

/**
 * A step that undoes what the run did: a step of its rollback list, or a canary step of the steps or checks
 * that ended while restoring the canary in the rollback (interruptCanary) with the canary not back: its
 * restore failed, timed out or went unconfirmed, and a candidate stays on the shared canary (ADR 0018).
 * A canary step whose restore answered has its trial done, whatever the step ended as (a promote's failure).
 */
const undoes = (x: StepRow): boolean =>
  x.list === 'rollback' ||
  (restoringCanary(x) && FINISHED_STEP.includes(x.status) && trialOf(x.canary!, x.output).stage === 'restore');

/**
 * A step undoing what the run did failed: a rollback step, or a canary's restore (undoes); the run's rollback
 * failed. A manual one nobody confirmed in time did not fail: nobody knows.
 */
function rollbackFailedIn(steps: StepRow[]): boolean {
  return steps.some(
    (x) => undoes(x) && (x.status === 'failed' || (x.status === 'timed_out' && x.runs_as !== 'manual')),
  );
}
