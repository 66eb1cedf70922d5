import type { RunPhase, RunStatus, StepRow } from '../run.view.js';

/*
 * The run's rules (DESIGN §8, ADR 0008) as one table: what the RunAdvancer does next, given the
 * run's phase and status, what it waits for, and the state of its current step. Pure: the advancer
 * gathers the facts under the run's lock, looks the move up here, and carries it out. The engine's
 * scheduling (claiming due runs, leases) is not part of it.
 */

/** Everything the advancer can do with a run in one pass. */
export const MOVES = [
  'sleep', // a finished run: nothing left to do
  'cancel', // an operator asked, and the run holds no failure yet: skip the rest, roll back
  'time_out', // the run is past its deadline: the current step times out (none past a failed one), the run fails (or, held by the kill switch, is canceled)
  'pause_on_failure', // a step or check failed in a run that waits for an operator: retry, skip or roll back (DESIGN §13)
  'fail_on_step', // a step or check failed (or its reporter said so): the run fails
  'fail_on_recurrence', // the fault came back inside the window: the run fails
  'skip_rest_of_rollback', // a rollback step failed: the rest of the rollback is not run
  'start', // queued → running
  'resume', // the person or work order it waited for is done
  'pause', // the kill switch stops this automatic run: sleep until a deadline or until the switch is off
  'unpause', // the kill switch no longer stops it
  'judge_watch', // the watch is over: judge what monitoring and the catalog saw inside it
  'watch', // sleep until the watch ends (recurrences wake it earlier)
  'end_of_list', // the phase's list is through: steps → checks → watch; rollback → finished
  'await_retry', // a retry waits for its time
  'begin_step', // run the step by its kind
  'repeat_call', // the answer to a call was lost (the service stopped mid-call): call again, same webhook-id, no attempt counted
  'fail_interrupted', // calls of this step were interrupted too often (a canary's apply or promote: it restores the canary first)
  'notify', // tell the coding agent about the work order (again, with the same webhook-id, if the last notice has no answer)
  'notify_interrupted', // notices of this step were interrupted too often: it waits for its work order without one
  'step_deadline', // a waiting step's time is up: a timer is done, anything else timed out
  'await_step', // sleep until the step's deadline (its reporter wakes it earlier)
  'canary_call', // a canary step between its calls: make the next one (apply a candidate, promote or restore; in the rollback, the restore of a trial the run stopped)
  'take_canary', // a canary step waiting for its canary (another run holds it): take it if free, else wait for its release or its next look
] as const;
export type Move = (typeof MOVES)[number];

/** The current step as the table reads it: its status, and what it waits for while running or awaiting. */
export type StepState =
  | 'none'
  | 'pending'
  | 'running/call'
  | 'running/result'
  | 'running/timer'
  | 'running/notify'
  | 'running/patch'
  | 'running/next'
  | 'running/canary'
  | 'awaiting_operator/operator';
export const STEP_STATES: readonly StepState[] = [
  'none',
  'pending',
  'running/call',
  'running/result',
  'running/timer',
  'running/notify',
  'running/patch',
  'running/next',
  'running/canary',
  'awaiting_operator/operator',
];

export const stepState = (step: Pick<StepRow, 'status' | 'waiting_for'> | undefined): StepState =>
  step ? ((step.waiting_for ? `${step.status}/${step.waiting_for}` : step.status) as StepState) : 'none';

/** What the advancer knows about a run when it decides (read under the run's lock). */
export interface RunFacts {
  phase: RunPhase;
  status: RunStatus;
  /** The current step: the first unfinished one of the phase's list (steps, verify, rollback). */
  step: StepState;
  cancelRequested: boolean;
  /** The run's own deadline has passed. */
  pastDeadline: boolean;
  /**
   * A step of the steps or checks failed or timed out (possibly reported by a person, an actuator or a
   * work order), or is a canary step whose own promote (or an apply's calls) failed, restoring the
   * canary before it ends so (ADR 0018): the run holds that failure from then on.
   */
  failedStep: boolean;
  /**
   * The failed step waits for an operator: the run's onFailure is pause, nobody has asked for the
   * rollback yet, and the step was not handed to a person or a coding agent (run.view's pausesOnFailure).
   */
  pauseOnFailure: boolean;
  /** A rollback step failed or timed out. */
  failedRollbackStep: boolean;
  /** A recurrence was noted for this run (a new incident of its pattern, or its alert firing again). */
  recurrence: boolean;
  /** Some step waits for a person or a coding agent. */
  waitingOnSomeone: boolean;
  /** The kill switch stops this run (an automatic run whose tenant or agent is switched off). */
  killSwitch: boolean;
  paused: boolean;
  /** The watch window has ended. */
  watchOver: boolean;
  /** The current step's deadline (its retry time, timer, or timeout) has passed, or it has none. */
  stepDue: boolean;
  /**
   * The current step may repeat a call whose answer was lost; for a step about to notify the
   * coding agent, also true while it has sent no notice yet.
   */
  repeatsLeft: boolean;
}

const FORWARD: readonly RunPhase[] = ['steps', 'verify', 'watch'];
const WORKING: readonly RunPhase[] = ['steps', 'verify'];
/** Steps waiting for something that reports back or for their time. */
const WAITING: readonly StepState[] = [
  'running/result',
  'running/timer',
  'running/patch',
  'awaiting_operator/operator',
];
/** Steps whose next move is an automatic action: the kill switch holds these. */
const ACTING: readonly StepState[] = ['pending', 'running/call', 'running/notify', 'running/next', 'running/canary'];

/**
 * A failure the run already holds and has not yet turned into its verdict: a failed or timed-out step
 * of the steps or checks, or (the fix applied) a recurrence noted for it.
 */
export const failureStored = (f: Pick<RunFacts, 'phase' | 'failedStep' | 'recurrence'>): boolean =>
  f.failedStep || (f.recurrence && (f.phase === 'verify' || f.phase === 'watch'));

export interface RunRule {
  phase?: readonly RunPhase[];
  status?: readonly RunStatus[];
  step?: readonly StepState[];
  when?: (f: RunFacts) => boolean;
  move: Move;
}

/** First match wins. Columns left out match anything. */
export const RUN_RULES: readonly RunRule[] = [
  { phase: ['done'], move: 'sleep' },
  // A cancel wins over anything the run would still do, but not over a failure the fix already showed
  // (a failed step nobody retried or skipped, a recurrence noted in the watch): that is evidence about
  // the fix (ADR 0014), so the run fails with it below and rolls back, and a cancel changes nothing.
  { phase: FORWARD, when: (f) => f.cancelRequested && !failureStored(f), move: 'cancel' },
  // A recurrence noted in the checks (the fix applied) is evidence about the fix: past the run's deadline too, the
  // run fails with it, not with the deadline's reason, nor canceled as the kill switch's hold would leave it (ADR 0014).
  { phase: ['verify'], when: (f) => f.pastDeadline && f.recurrence && !f.failedStep, move: 'fail_on_recurrence' },
  // Deadlines come before the kill switch: a paused run still times out.
  { phase: WORKING, when: (f) => f.pastDeadline, move: 'time_out' },
  // A cancel still ends a run paused on its failed step (it fails with the step's failure); so does its deadline.
  { phase: WORKING, when: (f) => f.failedStep && f.pauseOnFailure && !f.cancelRequested, move: 'pause_on_failure' },
  { phase: FORWARD, when: (f) => f.failedStep, move: 'fail_on_step' },
  { phase: ['verify', 'watch'], when: (f) => f.recurrence, move: 'fail_on_recurrence' },
  {
    phase: ['rollback'],
    step: STEP_STATES.filter((s) => s !== 'none'),
    when: (f) => f.failedRollbackStep,
    move: 'skip_rest_of_rollback',
  },
  { status: ['queued'], move: 'start' },
  { status: ['awaiting_operator', 'awaiting_patch'], when: (f) => !f.waitingOnSomeone, move: 'resume' },
  // The kill switch holds automatic actions of the steps and checks; a step waiting for a person or its time goes on, and so does
  // a rollback, the restore of a canary the run stopped mid-trial included (its first step then; ADR 0018).
  { phase: WORKING, step: ACTING, when: (f) => f.killSwitch, move: 'pause' },
  { phase: WORKING, when: (f) => f.paused && !f.killSwitch, move: 'unpause' },
  { phase: ['watch'], when: (f) => f.watchOver, move: 'judge_watch' },
  { phase: ['watch'], move: 'watch' },
  { step: ['none'], move: 'end_of_list' },
  { step: ['pending'], when: (f) => !f.stepDue, move: 'await_retry' },
  { step: ['pending'], move: 'begin_step' },
  { step: ['running/next'], when: (f) => !f.stepDue, move: 'await_retry' },
  { step: ['running/next'], move: 'canary_call' },
  { step: ['running/canary'], move: 'take_canary' },
  { step: ['running/call'], when: (f) => f.repeatsLeft, move: 'repeat_call' },
  { step: ['running/call'], move: 'fail_interrupted' },
  { step: ['running/notify'], when: (f) => f.repeatsLeft, move: 'notify' },
  { step: ['running/notify'], move: 'notify_interrupted' },
  { step: WAITING, when: (f) => f.stepDue, move: 'step_deadline' },
  { step: WAITING, move: 'await_step' },
];

const matches = (rule: RunRule, f: RunFacts) =>
  (!rule.phase || rule.phase.includes(f.phase)) &&
  (!rule.status || rule.status.includes(f.status)) &&
  (!rule.step || rule.step.includes(f.step)) &&
  (!rule.when || rule.when(f));

/** The move for these facts: the first rule that matches. Total: every state has one (run-rules.spec.ts enumerates them). */
export function nextMove(f: RunFacts): Move {
  const rule = RUN_RULES.find((r) => matches(r, f));
  if (!rule) throw new Error(`no run rule for ${JSON.stringify(f)}`);
  return rule.move;
}

/**
 * A call repeated after a crash is not an attempt; this many repeats lost too fail the step (a call that
 * kills the service every time), or give up the coding agent's notice (the step still waits for its work order).
 */
export const MAX_INTERRUPTED_CALLS = 3;

/** What the catalog and monitoring saw inside a run's watch window (the incidents pillar's FindRecurrence). */
export interface WatchEvidence {
  /** A new incident of the run's pattern on its agent and capability that occurred inside the window. */
  newIncident: { id: string; occurredAt: string } | null;
  /** The run's own incident's alert fired again after the fix was applied. */
  refiredAt: string | null;
  /** Incidents on the run's agent and capability that occurred inside the window and are not yet filed under a pattern. */
  unfiled: number;
  /** When monitoring resolved the run's incident, if it did. */
  resolvedByMonitoringAt: string | null;
}

export type WatchVerdict =
  { verdict: 'succeeded'; note: string } | { verdict: 'failed'; reason: string } | { verdict: 'wait'; note: string };

/**
 * The end of a watch. A recurrence or a re-fired alert fails the run; an incident not yet filed
 * could be one, so the verdict waits for the catalog (at most `maxWaitOver`); a run that waits
 * for monitoring's resolution fails without it.
 */
export function judgeWatch(
  e: WatchEvidence,
  o: { awaitResolution: boolean; windowEnd: Date; maxWaitOver: boolean },
): WatchVerdict {
  if (e.newIncident) {
    return {
      verdict: 'failed',
      reason: `recurrence: incident ${e.newIncident.id} of the same pattern on the same agent occurred at ${e.newIncident.occurredAt}, inside the verification window`,
    };
  }
  if (e.refiredAt)
    return {
      verdict: 'failed',
      reason: `recurrence: the incident's alert fired again at ${e.refiredAt}, after the fix`,
    };
  if (e.unfiled > 0 && !o.maxWaitOver)
    return {
      verdict: 'wait',
      note: `${e.unfiled} incident(s) on this agent from inside the window are not yet filed under a pattern: the verdict waits for them`,
    };
  const resolvedInTime =
    e.resolvedByMonitoringAt !== null && Date.parse(e.resolvedByMonitoringAt) <= o.windowEnd.getTime();
  if (o.awaitResolution && !resolvedInTime) {
    return {
      verdict: 'failed',
      reason: `not resolved by monitoring: the playbook waits for the alert's resolution, which did not come by ${o.windowEnd.toISOString()}`,
    };
  }
  const unfiled = e.unfiled > 0 ? `; ${e.unfiled} incident(s) still unfiled after waiting, not counted` : '';
  return {
    verdict: 'succeeded',
    note:
      (resolvedInTime
        ? `monitoring resolved the incident at ${e.resolvedByMonitoringAt}`
        : 'no recurrence inside the window') + unfiled,
  };
}
