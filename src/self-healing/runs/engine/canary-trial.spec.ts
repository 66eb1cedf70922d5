import { describe, expect, it } from '@jest/globals';
import type { ActuatorCallResult } from '../../actuators/call-actuator/call-actuator.command.js';
import type { CanarySpec } from '../../recovery/canary-step.js';
import {
  callOf,
  describeParams,
  finishTrial,
  handOverTrial,
  interruptTrial,
  judgeCandidate,
  leavesCanaryDirty,
  nextCall,
  startTrial,
  type CanaryOutput,
} from './canary-trial.js';

const spec = (over: Partial<CanarySpec> = {}): CanarySpec => ({
  candidates: [{ timeoutMs: 1000 }, { timeoutMs: 2000 }, { timeoutMs: 4000 }],
  paramOrder: ['timeoutMs'],
  apply: { action: 'canary_apply' },
  check: 'response.body.p95_ms < 250.0 && response.body.error_rate < 0.01',
  score: '1000.0 - response.body.p95_ms - candidate.timeoutMs / 100.0',
  promote: { action: 'promote_config' },
  restore: { action: 'canary_restore' },
  restoreWithinMs: 15_000,
  onNoCandidate: 'fail',
  budgetMs: null,
  ...over,
});
const ok = (body: unknown): ActuatorCallResult => ({
  outcome: 'succeeded',
  status: 200,
  body,
  error: null,
  retryAfterMs: null,
  durationMs: 5,
});
const t0 = new Date('2026-12-01T03:00:00Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);

/** Runs a whole trial against answers by candidate index; returns the output and the calls made. */
function trial(
  s: CanarySpec,
  answer: (index: number) => ActuatorCallResult,
  elapsed: (callNo: number) => number = () => 0,
) {
  let t: CanaryOutput = startTrial(s);
  const calls: string[] = [];
  for (let n = 0; n < 20; n++) {
    const next = nextCall(s, t, elapsed(n), at(n), { service: 'search' });
    t = next.trial;
    if (!next.call) return { t, calls };
    calls.push(next.call.idSuffix);
    if (next.call.stage === 'apply')
      t = judgeCandidate(s, t, next.call.candidate!.index, answer(next.call.candidate!.index), at(n));
    else t = finishTrial(s, t, at(n + 1));
  }
  throw new Error('the trial did not end');
}

describe('a canary trial', () => {
  it('judges every candidate, promotes the best passing one by score, and keeps each result', () => {
    const measured = [
      { p95_ms: 240, error_rate: 0 },
      { p95_ms: 180, error_rate: 0.002 },
      { p95_ms: 120, error_rate: 0.05 },
    ];
    const { t, calls } = trial(spec(), (i) => ok(measured[i]));
    expect(calls).toEqual(['candidate-0', 'candidate-1', 'candidate-2', 'promote']);
    expect(t.candidates.map((c) => [c.result, c.score])).toEqual([
      ['passed', 750],
      ['passed', 800],
      ['failed', null],
    ]);
    expect(t.candidates[2]!.reason).toMatch(/^check failed: /);
    expect(t).toMatchObject({
      stage: 'done',
      outcome: 'promoted',
      winner: { index: 1, params: { timeoutMs: 2000 }, score: 800 },
      restore: null,
    });
    expect(t.summary).toBe('promoted candidate 1 {"timeoutMs":2000} (score 800; 2 of 3 tried passed)');
  });

  it('records when the trial stopped using the canary: its promote or restore answered, or a person took it over', () => {
    expect(startTrial(spec()).endedAt).toBeNull();
    // Three applies, then the promote (or the restore) answered at at(4): the trial ended then.
    const promoted = trial(spec(), () => ok({ p95_ms: 200, error_rate: 0 })).t;
    expect(promoted).toMatchObject({ outcome: 'promoted', endedAt: at(4).toISOString() });
    const restored = trial(spec(), () => ok({ p95_ms: 900, error_rate: 0 })).t;
    expect(restored).toMatchObject({ outcome: 'no_candidate', endedAt: at(4).toISOString() });
    // Handed to a person: ended now, and not moved by a later hand-over.
    const handed = handOverTrial(startTrial(spec()), at(1));
    expect(handed.endedAt).toBe(at(1).toISOString());
    expect(handOverTrial(handed, at(9)).endedAt).toBe(at(1).toISOString());
  });

  it('sends the step parameters with each action, and the candidate apart', () => {
    const next = nextCall(spec(), startTrial(spec()), 0, t0, { service: 'search', action: 'overridden' });
    expect(next.call).toEqual({
      stage: 'apply',
      candidate: { index: 0, params: { timeoutMs: 1000 } },
      params: { service: 'search', action: 'canary_apply' },
      idSuffix: 'candidate-0',
    });
  });

  it('the call a stored trial is at does not depend on the clock: a repeat after the budget ran out is the call that was out', () => {
    const s = spec({ budgetMs: 1000 });
    const params = { service: 'search' };
    // Candidate 0 passed; the apply of candidate 1 was marked (its trial stored) and went out.
    const judged = judgeCandidate(s, startTrial(s), 0, ok({ p95_ms: 200, error_rate: 0 }), at(0));
    const out = nextCall(s, judged, 500, at(0.5), params);
    expect(out.call).toMatchObject({ stage: 'apply', idSuffix: 'candidate-1' });
    // The budget ran out while it was out: the next call would be another one...
    expect(nextCall(s, out.trial, 5000, at(5), params).call).toMatchObject({ stage: 'promote' });
    // ...but the call stored is still the apply of candidate 1, the same as was sent.
    expect(callOf(s, out.trial, params)).toEqual(out.call);
    const promoting = nextCall(s, out.trial, 5000, at(5), params);
    expect(callOf(s, promoting.trial, params)).toEqual(promoting.call);
  });

  it('with none passing, restores the canary and holds the time it took against the SLA', () => {
    const { t, calls } = trial(spec({ restoreWithinMs: 1 }), () => ok({ p95_ms: 900, error_rate: 0 }));
    expect(calls).toEqual(['candidate-0', 'candidate-1', 'candidate-2', 'restore']);
    expect(t).toMatchObject({
      stage: 'done',
      outcome: 'no_candidate',
      winner: null,
      restore: { slaMs: 1, ms: 2000, withinSla: false },
    });
    expect(t.summary).toBe(
      'no candidate passed (0 of 3 tried passed); the canary was restored in 2000 ms (SLA 1 ms missed)',
    );
  });

  it('a candidate that errs, times out, answers 202 or has no score fails; it does not stop the trial', () => {
    const answers: ActuatorCallResult[] = [
      { outcome: 'retryable', status: null, body: null, error: 'timed out', retryAfterMs: null, durationMs: 30_000 },
      { outcome: 'accepted', status: 202, body: null, error: null, retryAfterMs: null, durationMs: 5 },
      ok({ p95_ms: 100, error_rate: 0 }),
    ];
    const { t } = trial(spec({ score: 'response.body.missing' }), (i) => answers[i]!);
    expect(t.candidates.map((c) => c.reason)).toEqual([
      'timed out',
      'answered 202: a canary must answer with what it measured',
      expect.stringMatching(/^no score: /),
    ]);
    expect(t.outcome).toBe('no_candidate');
  });

  it('ties go to the earlier candidate', () => {
    const { t } = trial(spec({ score: '1.0' }), () => ok({ p95_ms: 100, error_rate: 0 }));
    expect(t.winner).toMatchObject({ index: 0, score: 1 });
  });

  it('stops trying when its budget is spent: the rest are not tried, the best of those tried wins', () => {
    const { t, calls } = trial(
      spec({ budgetMs: 5000 }),
      () => ok({ p95_ms: 100, error_rate: 0 }),
      (n) => (n < 2 ? 1000 : 6000),
    );
    expect(calls).toEqual(['candidate-0', 'candidate-1', 'promote']);
    expect(t.candidates.map((c) => c.result)).toEqual(['passed', 'passed', 'not_tried']);
    expect(t.candidates[2]!.reason).toBe("not tried: the step's budget of 5000 ms was spent");
    expect(t.summary).toContain("2 of 2 tried passed, 1 not tried (the step's budget of 5000 ms was spent)");
  });

  it('leaves a large answer body out of what it stores', () => {
    const t = judgeCandidate(
      spec(),
      startTrial(spec()),
      0,
      ok({ p95_ms: 100, error_rate: 0, blob: 'x'.repeat(5000) }),
      t0,
    );
    expect(t.candidates[0]).toMatchObject({
      result: 'passed',
      answer: { status: 200, body: '(left out: larger than 4 KiB)' },
    });
  });

  it("says a candidate's parameters in the playbook's order, whatever order the database gives them back in", () => {
    const order = { paramOrder: ['timeoutMs', 'concurrency', 'cacheMb'] };
    expect(describeParams(order, { cacheMb: 512, timeoutMs: 5000, concurrency: 8 })).toBe(
      '{"timeoutMs":5000,"concurrency":8,"cacheMb":512}',
    );
    expect(describeParams(order, { extra: true, cacheMb: 1 })).toBe('{"cacheMb":1,"extra":true}');
  });
});

describe('a canary trial the run stops midway', () => {
  const pass = ok({ p95_ms: 200, error_rate: 0 });
  const fail = ok({ p95_ms: 900, error_rate: 0 });
  const canceled = { reason: 'canceled by op-key', status: 'skipped' as const, error: null };

  it('leaves the canary dirty once an apply was sent, until the promote or the restore has answered', () => {
    const s = spec();
    const fresh = startTrial(s);
    // Nothing applied yet: clean; the first apply out: maybe applied.
    expect(leavesCanaryDirty(fresh, false)).toBe(false);
    expect(leavesCanaryDirty(fresh, true)).toBe(true);
    const oneJudged = judgeCandidate(s, fresh, 0, fail, at(0));
    expect(leavesCanaryDirty(oneJudged, false)).toBe(true);
    // Every candidate judged: the promote (or the restore) is due, and the last candidate is still on the canary.
    const promoting = [1, 2].reduce((t, i) => judgeCandidate(s, t, i, i === 1 ? pass : fail, at(i)), oneJudged);
    expect(promoting.stage).toBe('promote');
    expect(leavesCanaryDirty(promoting, false)).toBe(true);
    const restoring = [1, 2].reduce((t, i) => judgeCandidate(s, t, i, fail, at(i)), oneJudged);
    expect(restoring.stage).toBe('restore');
    expect(leavesCanaryDirty(restoring, true)).toBe(true);
    // Done: promoted (the fix itself, the playbook's rollback's to undo) or restored.
    expect(leavesCanaryDirty(finishTrial(s, promoting, at(5)), false)).toBe(false);
    expect(leavesCanaryDirty(finishTrial(s, restoring, at(5)), false)).toBe(false);
  });

  it('restores the canary next, marks the rest not tried, and says it was interrupted and how the restore went', () => {
    const s = spec({ restoreWithinMs: 5000 });
    const params = { service: 'search' };
    const judged = judgeCandidate(s, startTrial(s), 0, pass, at(0));
    // Candidate 1's apply was out when the run was canceled.
    const t = interruptTrial(s, judged, at(1), canceled, true);
    expect(t).toMatchObject({
      stage: 'restore',
      outcome: 'interrupted',
      interrupted: canceled,
      restore: { slaMs: 5000, startedAt: at(1).toISOString(), ms: null, withinSla: null },
      winner: null,
      endedAt: null,
    });
    expect(t.candidates.map((c) => [c.result, c.reason])).toEqual([
      ['passed', null],
      ['not_tried', 'not judged: its apply was out when the run stopped (canceled by op-key)'],
      ['not_tried', 'not tried: the run stopped (canceled by op-key)'],
    ]);
    expect(t.summary).toBe('interrupted (canceled by op-key): 1 of 1 tried passed, 2 not tried; restoring the canary');
    expect(callOf(s, t, params)).toEqual({
      stage: 'restore',
      candidate: null,
      params: { service: 'search', action: 'canary_restore' },
      idSuffix: 'restore',
    });
    // The budget does not turn the restore into anything else.
    expect(nextCall(s, t, 10_000_000, at(2), params).call).toMatchObject({ stage: 'restore' });

    const done = finishTrial(s, t, at(3));
    expect(done).toMatchObject({
      stage: 'done',
      outcome: 'interrupted',
      restore: { ms: 2000, withinSla: true },
      endedAt: at(3).toISOString(),
    });
    expect(done.summary).toBe(
      'interrupted (canceled by op-key): 1 of 1 tried passed, 2 not tried; the canary was restored in 2000 ms (SLA 5000 ms met)',
    );
  });

  it('before the promote, names the winner that was not promoted; a restore under way goes on, timed from its start', () => {
    const s = spec();
    const late = { reason: 'timed_out: the run ran out of time', status: 'timed_out' as const, error: 'timed_out' };
    const promoting = [0, 1, 2].reduce((t, i) => judgeCandidate(s, t, i, i === 1 ? pass : fail, at(i)), startTrial(s));
    const t = interruptTrial(s, promoting, at(3), late, false);
    expect(t).toMatchObject({ stage: 'restore', winner: { index: 1 }, restore: { startedAt: at(3).toISOString() } });
    expect(finishTrial(s, t, at(4)).summary).toBe(
      'interrupted (timed_out: the run ran out of time): 1 of 3 tried passed; candidate 1 {"timeoutMs":2000} (score 780) was not promoted; the canary was restored in 1000 ms (SLA 15000 ms met)',
    );

    const restoring = [0, 1, 2].reduce((x, i) => judgeCandidate(s, x, i, fail, at(i)), startTrial(s));
    const again = interruptTrial(s, restoring, at(7), canceled, true);
    expect(again.restore).toEqual(restoring.restore);
    expect(again.restore!.startedAt).toBe(at(2).toISOString());
    expect(finishTrial(s, again, at(8))).toMatchObject({ outcome: 'interrupted', restore: { ms: 6000 } });
  });
});

describe('a canary trial whose own call fails restores the canary before the step ends so', () => {
  const pass = ok({ p95_ms: 200, error_rate: 0 });
  const fail = ok({ p95_ms: 900, error_rate: 0 });

  it('a promote that failed: the restore is next, the outcome failed, the winner not promoted, the step ending with its error', () => {
    const s = spec({ restoreWithinMs: 5000 });
    const promoting = [0, 1, 2].reduce((t, i) => judgeCandidate(s, t, i, i === 1 ? pass : fail, at(i)), startTrial(s));
    expect(promoting.stage).toBe('promote');
    const error = 'promote: HTTP 503 (attempt 3 of 3)';
    const then = { reason: error, status: 'failed' as const, error, failedCall: 'promote' as const };
    const t = interruptTrial(s, promoting, at(4), then, true);
    expect(t).toMatchObject({
      stage: 'restore',
      outcome: 'failed',
      interrupted: then,
      winner: { index: 1 },
      restore: { slaMs: 5000, startedAt: at(4).toISOString(), ms: null, withinSla: null },
      endedAt: null,
    });
    // Every candidate was judged: none is marked otherwise.
    expect(t.candidates).toEqual(promoting.candidates);
    expect(t.summary).toBe(
      'failed (promote: HTTP 503 (attempt 3 of 3)): 1 of 3 tried passed; candidate 1 {"timeoutMs":2000} (score 780) was not promoted; restoring the canary',
    );
    expect(callOf(s, t, { service: 'search' })).toEqual({
      stage: 'restore',
      candidate: null,
      params: { service: 'search', action: 'canary_restore' },
      idSuffix: 'restore',
    });
    expect(leavesCanaryDirty(t, false)).toBe(true);

    const done = finishTrial(s, t, at(10));
    expect(done).toMatchObject({
      stage: 'done',
      outcome: 'failed',
      interrupted: then,
      restore: { ms: 6000, withinSla: false },
      endedAt: at(10).toISOString(),
    });
    expect(done.summary).toBe(
      'failed (promote: HTTP 503 (attempt 3 of 3)): 1 of 3 tried passed; candidate 1 {"timeoutMs":2000} (score 780) was not promoted; the canary was restored in 6000 ms (SLA 5000 ms missed)',
    );
    expect(leavesCanaryDirty(done, false)).toBe(false);
  });

  it('an apply whose calls were lost too often: that candidate is not judged, the rest not tried, and the reason says so', () => {
    const s = spec();
    const judged = judgeCandidate(s, startTrial(s), 0, pass, at(0));
    const error = 'no stored answer after 3 interrupted calls (the service stopped mid-call each time)';
    const then = {
      reason: `apply of candidate 1: ${error}`,
      status: 'failed' as const,
      error,
      failedCall: 'apply' as const,
    };
    const t = interruptTrial(s, judged, at(5), then, true);
    expect(t).toMatchObject({ stage: 'restore', outcome: 'failed', winner: null });
    expect(t.candidates.map((c) => [c.result, c.reason])).toEqual([
      ['passed', null],
      ['not_tried', `not judged: apply of candidate 1: ${error}`],
      ['not_tried', `not tried: the step failed (apply of candidate 1: ${error})`],
    ]);
    expect(finishTrial(s, t, at(6)).summary).toBe(
      `failed (apply of candidate 1: ${error}): 1 of 1 tried passed, 2 not tried; the canary was restored in 1000 ms (SLA 15000 ms met)`,
    );
  });
});
