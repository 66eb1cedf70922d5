import { describe, expect, it } from '@jest/globals';
import { RUN_STATUSES, type RunPhase } from '../run.view.js';
import {
  failureStored,
  judgeWatch,
  MOVES,
  nextMove,
  RUN_RULES,
  STEP_STATES,
  type Move,
  type RunFacts,
} from './run-rules.js';

/** The moves that fail a run, giving it the verdict `failed`. */
const FAILING: Move[] = ['time_out', 'fail_on_step', 'fail_on_recurrence'];
const PHASES: RunPhase[] = ['steps', 'verify', 'watch', 'rollback', 'done'];
const FLAGS = [
  'cancelRequested',
  'pastDeadline',
  'failedStep',
  'pauseOnFailure',
  'failedRollbackStep',
  'recurrence',
  'waitingOnSomeone',
  'killSwitch',
  'paused',
  'watchOver',
  'stepDue',
  'repeatsLeft',
] as const;

const facts = (over: Partial<RunFacts> = {}): RunFacts => ({
  phase: 'steps',
  status: 'running',
  step: 'pending',
  cancelRequested: false,
  pastDeadline: false,
  failedStep: false,
  pauseOnFailure: false,
  failedRollbackStep: false,
  recurrence: false,
  waitingOnSomeone: false,
  killSwitch: false,
  paused: false,
  watchOver: false,
  stepDue: true,
  repeatsLeft: true,
  ...over,
});

/** Every combination of phase × status × step state × the flags: 5 × 10 × 10 × 2^12. */
function* everyState(): Generator<RunFacts> {
  for (const phase of PHASES) {
    for (const status of RUN_STATUSES) {
      for (const step of STEP_STATES) {
        for (let bits = 0; bits < 1 << FLAGS.length; bits++) {
          const f = facts({ phase, status, step });
          FLAGS.forEach((flag, i) => (f[flag] = (bits & (1 << i)) !== 0));
          yield f;
        }
      }
    }
  }
}

describe('the run rules (a transition table)', () => {
  it('give exactly one move for every combination of phase, status, step state and flags; every rule is reachable; a finished run is left alone; a cancel wins while the run still tries, unless it already holds a failure', () => {
    const used = new Set<Move>();
    const wrong: string[] = [];
    let states = 0;
    for (const f of everyState()) {
      const move = nextMove(f); // throws when no rule matches
      used.add(move);
      states++;
      if (f.phase === 'done' && move !== 'sleep') wrong.push(`done → ${move}`);
      // A recurrence noted once the fix was applied is not lost to the deadline (whose kill-switch case cancels).
      if (f.phase === 'verify' && f.recurrence && f.pastDeadline && !f.failedStep && move !== 'fail_on_recurrence')
        wrong.push(`verify with a recurrence past the deadline → ${move}`);
      if (f.phase !== 'done' && f.phase !== 'rollback' && f.cancelRequested) {
        // A failure already stored is the fix's verdict: the run fails with it (its deadline's reason, if
        // past), and a cancel erases it never; without one, the cancel wins over anything else.
        const expected = failureStored(f) ? FAILING : ['cancel'];
        if (!expected.includes(move))
          wrong.push(`${f.phase} with a cancel${failureStored(f) ? ' and a failure' : ''} → ${move}`);
      }
    }
    expect(states).toBe(5 * 10 * 10 * 4096);
    expect(wrong.slice(0, 5)).toEqual([]);
    expect([...used].sort()).toEqual([...new Set(RUN_RULES.map((r) => r.move))].sort());
    expect([...used].every((m) => MOVES.includes(m))).toBe(true);
  });

  it('a crash is not an attempt: a call without a stored answer is repeated while repeats are left, then fails the step', () => {
    expect(nextMove(facts({ step: 'running/call' }))).toBe('repeat_call');
    expect(nextMove(facts({ step: 'running/call', repeatsLeft: false }))).toBe('fail_interrupted');
    expect(nextMove(facts({ phase: 'rollback', status: 'failed', step: 'running/call' }))).toBe('repeat_call');
  });

  it("a coding agent's notice is repeated after a crash like a call while repeats are left, then given up", () => {
    const notifying = { step: 'running/notify', status: 'awaiting_patch', waitingOnSomeone: true } as const;
    expect(nextMove(facts(notifying))).toBe('notify');
    expect(nextMove(facts({ ...notifying, repeatsLeft: false }))).toBe('notify_interrupted');
    expect(nextMove(facts({ step: 'running/notify', killSwitch: true, repeatsLeft: false }))).toBe('pause');
  });

  it('a canary step between its calls makes the next one when due, and the kill switch holds it', () => {
    expect(nextMove(facts({ step: 'running/next' }))).toBe('canary_call');
    expect(nextMove(facts({ step: 'running/next', stepDue: false }))).toBe('await_retry');
    expect(nextMove(facts({ step: 'running/next', killSwitch: true }))).toBe('pause');
  });

  it('a canary step waiting for its canary tries to take it; the kill switch holds it; a cancel or the deadline ends the wait', () => {
    expect(nextMove(facts({ step: 'running/canary' }))).toBe('take_canary');
    expect(nextMove(facts({ step: 'running/canary', phase: 'rollback', status: 'failed' }))).toBe('take_canary');
    expect(nextMove(facts({ step: 'running/canary', killSwitch: true }))).toBe('pause');
    expect(nextMove(facts({ step: 'running/canary', cancelRequested: true }))).toBe('cancel');
    expect(nextMove(facts({ step: 'running/canary', pastDeadline: true }))).toBe('time_out');
  });

  it('the kill switch pauses only what would act, and deadlines still fire while paused', () => {
    const paused = { killSwitch: true, paused: true };
    expect(nextMove(facts({ ...paused, step: 'pending' }))).toBe('pause');
    expect(nextMove(facts({ ...paused, step: 'running/call' }))).toBe('pause');
    expect(nextMove(facts({ ...paused, step: 'running/notify' }))).toBe('pause');
    expect(nextMove(facts({ ...paused, pastDeadline: true }))).toBe('time_out');
    // A step waiting for its time or a person goes on; its deadline fires.
    expect(
      nextMove(
        facts({
          ...paused,
          step: 'awaiting_operator/operator',
          status: 'awaiting_operator',
          waitingOnSomeone: true,
          stepDue: true,
        }),
      ),
    ).toBe('step_deadline');
    expect(nextMove(facts({ ...paused, step: 'running/timer', stepDue: false }))).toBe('await_step');
    // Off again: the run goes on.
    expect(nextMove(facts({ paused: true }))).toBe('unpause');
    // A rollback is not held.
    expect(nextMove(facts({ phase: 'rollback', status: 'failed', killSwitch: true, step: 'pending' }))).toBe(
      'begin_step',
    );
  });

  it('a rollback waiting for a person is awaited like any step, and resumes once the person answered', () => {
    expect(
      nextMove(
        facts({
          phase: 'rollback',
          status: 'awaiting_operator',
          step: 'awaiting_operator/operator',
          waitingOnSomeone: true,
          stepDue: false,
        }),
      ),
    ).toBe('await_step');
    expect(
      nextMove(facts({ phase: 'rollback', status: 'awaiting_operator', step: 'pending', waitingOnSomeone: false })),
    ).toBe('resume');
    expect(nextMove(facts({ phase: 'rollback', status: 'failed', step: 'none' }))).toBe('end_of_list');
    expect(nextMove(facts({ phase: 'rollback', status: 'failed', step: 'pending', failedRollbackStep: true }))).toBe(
      'skip_rest_of_rollback',
    );
  });

  it('a failed step pauses a run that waits for an operator, until the operator asks for the rollback; a cancel ends the pause with the failure, and the deadline still wins', () => {
    const failed = { failedStep: true, step: 'pending' as const };
    expect(nextMove(facts({ ...failed, pauseOnFailure: true }))).toBe('pause_on_failure');
    expect(nextMove(facts({ ...failed, phase: 'verify', status: 'verifying', pauseOnFailure: true }))).toBe(
      'pause_on_failure',
    );
    expect(nextMove(facts({ ...failed, pauseOnFailure: false }))).toBe('fail_on_step');
    // The step's failure is the fix's: a cancel stops the pause but the run fails with it (ADR 0014).
    expect(
      nextMove(facts({ ...failed, status: 'awaiting_operator', pauseOnFailure: true, cancelRequested: true })),
    ).toBe('fail_on_step');
    expect(nextMove(facts({ ...failed, pauseOnFailure: true, cancelRequested: true, pastDeadline: true }))).toBe(
      'time_out',
    );
    // Nothing failed: the cancel wins, over the kill switch's pause too.
    expect(nextMove(facts({ cancelRequested: true }))).toBe('cancel');
    expect(nextMove(facts({ cancelRequested: true, killSwitch: true, paused: true }))).toBe('cancel');
    expect(nextMove(facts({ cancelRequested: true, pastDeadline: true }))).toBe('cancel');
    expect(nextMove(facts({ ...failed, pauseOnFailure: true, pastDeadline: true }))).toBe('time_out');
    // The fix is applied and watched: a recurrence is no step to retry.
    expect(nextMove(facts({ ...failed, phase: 'watch', status: 'verifying', pauseOnFailure: true }))).toBe(
      'fail_on_step',
    );
  });

  it('a failure stored before the next turn is not erased by a cancel requested meanwhile', () => {
    // An automatic run's failed step (a late result, a call's answer) and a cancel, both before the engine's turn.
    expect(nextMove(facts({ failedStep: true, cancelRequested: true, step: 'none' }))).toBe('fail_on_step');
    expect(
      nextMove(
        facts({ phase: 'verify', status: 'verifying', failedStep: true, cancelRequested: true, step: 'pending' }),
      ),
    ).toBe('fail_on_step');
    // A recurrence noted in the verify checks or the watch, then a cancel.
    for (const phase of ['verify', 'watch'] as const)
      expect(
        nextMove(facts({ phase, status: 'verifying', step: 'none', recurrence: true, cancelRequested: true })),
      ).toBe('fail_on_recurrence');
    // A recurrence during the steps is none (the fix is not applied): the cancel wins.
    expect(nextMove(facts({ recurrence: true, cancelRequested: true }))).toBe('cancel');
  });

  it('a recurrence noted in the checks fails the run past its deadline too, held by the kill switch or not, cancel or not', () => {
    // The fix applied, its check pending (the kill switch held it, or the turn came late), the fault back, the deadline passed.
    for (const paused of [false, true])
      for (const killSwitch of [false, true])
        for (const cancelRequested of [false, true])
          for (const step of ['pending', 'running/result', 'awaiting_operator/operator', 'none'] as const) {
            const f = facts({ phase: 'verify', status: 'verifying', step, pastDeadline: true, recurrence: true });
            expect({
              paused,
              killSwitch,
              cancelRequested,
              step,
              move: nextMove({ ...f, paused, killSwitch, cancelRequested }),
            }).toEqual({ paused, killSwitch, cancelRequested, step, move: 'fail_on_recurrence' });
          }
    // A failed check as well: the deadline names it (its failure is the verdict either way).
    expect(
      nextMove(facts({ phase: 'verify', status: 'verifying', pastDeadline: true, recurrence: true, failedStep: true })),
    ).toBe('time_out');
    // No recurrence: the deadline (canceled if the kill switch held the run, failed otherwise).
    expect(
      nextMove(facts({ phase: 'verify', status: 'verifying', pastDeadline: true, killSwitch: true, paused: true })),
    ).toBe('time_out');
    // In the steps the fix is not applied: a recurrence is none, the deadline decides.
    expect(nextMove(facts({ pastDeadline: true, recurrence: true, killSwitch: true, paused: true }))).toBe('time_out');
  });

  it('the watch: a recurrence fails it at once, its end is judged, until then it sleeps', () => {
    expect(nextMove(facts({ phase: 'watch', status: 'verifying', step: 'none', recurrence: true }))).toBe(
      'fail_on_recurrence',
    );
    expect(nextMove(facts({ phase: 'watch', status: 'verifying', step: 'none', watchOver: true }))).toBe('judge_watch');
    expect(nextMove(facts({ phase: 'watch', status: 'verifying', step: 'none' }))).toBe('watch');
    // A recurrence during the steps is no recurrence: the fix is not applied yet.
    expect(nextMove(facts({ recurrence: true }))).toBe('begin_step');
  });
});

describe('judging the end of a watch', () => {
  const none = { newIncident: null, refiredAt: null, unfiled: 0, resolvedByMonitoringAt: null };
  const windowEnd = new Date('2026-12-01T10:15:00Z');
  const o = { awaitResolution: false, windowEnd, maxWaitOver: false };

  it('succeeds without evidence of the fault, fails on a recurrence or a re-fired alert', () => {
    expect(judgeWatch(none, o)).toMatchObject({ verdict: 'succeeded' });
    expect(judgeWatch({ ...none, newIncident: { id: 'i2', occurredAt: '2026-12-01T10:05:00.000Z' } }, o)).toMatchObject(
      { verdict: 'failed', reason: expect.stringMatching(/^recurrence: incident i2 .* occurred at 2026-12-01T10:05/) },
    );
    expect(judgeWatch({ ...none, refiredAt: '2026-12-01T10:07:00.000Z' }, o)).toMatchObject({
      verdict: 'failed',
      reason: expect.stringMatching(/alert fired again at 2026-12-01T10:07/),
    });
  });

  it('waits for incidents not yet filed under a pattern, at most so long', () => {
    expect(judgeWatch({ ...none, unfiled: 2 }, o)).toMatchObject({ verdict: 'wait' });
    expect(judgeWatch({ ...none, unfiled: 2 }, { ...o, maxWaitOver: true })).toMatchObject({
      verdict: 'succeeded',
      note: expect.stringContaining('2 incident(s) still unfiled'),
    });
  });

  it('a run that waits for monitoring fails without its resolution inside the window', () => {
    const awaiting = { ...o, awaitResolution: true };
    expect(judgeWatch(none, awaiting)).toMatchObject({
      verdict: 'failed',
      reason: expect.stringMatching(/^not resolved by monitoring/),
    });
    expect(judgeWatch({ ...none, resolvedByMonitoringAt: '2026-12-01T10:16:00.000Z' }, awaiting)).toMatchObject({
      verdict: 'failed',
    });
    expect(judgeWatch({ ...none, resolvedByMonitoringAt: '2026-12-01T10:09:00.000Z' }, awaiting)).toMatchObject({
      verdict: 'succeeded',
      note: expect.stringContaining('monitoring resolved'),
    });
  });
});
