import type { ActuatorCallResult } from '../../actuators/call-actuator/call-actuator.command.js';
import type { CanarySpec } from '../../recovery/canary-step.js';
import { checkBindings, checkFailure, evaluateNumber } from './step-conditions.js';

/*
 * How a canary step goes (DESIGN §13), as pure functions over its stored output: the RunAdvancer
 * makes one call at a time and stores the answer here, so a crash repeats one call, never the trial.
 * Each candidate is applied to the canary and judged by the step's `check`; a passing one gets its
 * `score`. When every candidate is judged (or the step's budget is spent), the best passing one is
 * promoted; when none passes, the canary is restored and the time it took is held against the SLA.
 * A run that stops mid-trial (canceled, out of time, failed), and a step whose own promote fails (or
 * whose apply's or promote's calls are interrupted too often), restore the canary too (interruptTrial).
 */

export type CandidateResult = 'untried' | 'passed' | 'failed' | 'not_tried';
export const CANARY_STAGES = ['apply', 'promote', 'restore', 'done'] as const;
export type CanaryStage = (typeof CANARY_STAGES)[number];
export const CANARY_OUTCOMES = ['promoted', 'no_candidate', 'interrupted', 'failed'] as const;
export type CanaryOutcome = (typeof CANARY_OUTCOMES)[number];

/**
 * The trial ends before its promote or restore answered, and restores the canary first: why, and what
 * the step ends as once the canary is restored (`status`, with `error`). Either the run stopped mid-trial
 * (`reason` is the run's; the step then ends `skipped`, or `timed_out` past the run's deadline), or the
 * step's own call failed (`failedCall`: the promote, its retries used up or its answer a failure, or the
 * calls of the promote or of an apply interrupted too often; `reason` says which and why, `error` is the
 * step's error as it was before the restore, and the step ends `failed` or `timed_out` with it).
 */
export interface CanaryInterruption {
  reason: string;
  status: 'skipped' | 'timed_out' | 'failed';
  error: string | null;
  /** The step's own call that failed; absent when the run stopped. */
  failedCall?: 'apply' | 'promote';
}

export interface CanaryCandidate {
  index: number;
  params: Record<string, unknown>;
  result: CandidateResult;
  /** Why it failed or was not tried; null when it passed (or is untried). */
  reason: string | null;
  score: number | null;
  /** The canary's answer (its body left out when larger than ANSWER_BODY_MAX characters of JSON). */
  answer: { status: number | null; body: unknown } | null;
  /** When it was judged. */
  at: string | null;
}

/** A canary step's output: every candidate with its check result and score, the winner, the restore and its SLA. */
export interface CanaryOutput {
  stage: CanaryStage;
  candidates: CanaryCandidate[];
  winner: { index: number; params: Record<string, unknown>; score: number } | null;
  /**
   * `interrupted`: the run stopped mid-trial; `failed`: the step's own promote (or an apply's calls)
   * failed. Either way the canary is (being) restored.
   */
  outcome: CanaryOutcome | null;
  restore: { slaMs: number; startedAt: string; ms: number | null; withinSla: boolean | null } | null;
  /** A sentence: what was tried and what came of it. */
  summary: string | null;
  /**
   * When the trial stopped using the canary: its promote or restore answered, or the step went to a
   * person. Null while it runs. The canary budget counts the step's time up to here, not the wait
   * for a work order or a person that may follow (absent in trials stored before it was kept).
   */
  endedAt?: string | null;
  /** Set when the run stopped mid-trial or the step's own call failed (interruptTrial); absent otherwise. */
  interrupted?: CanaryInterruption | null;
}

/** One call of the trial: its stage, the candidate it carries (apply and promote), what it sends, and its webhook-id's suffix. */
export interface CanaryCall {
  stage: Exclude<CanaryStage, 'done'>;
  candidate: { index: number; params: Record<string, unknown> } | null;
  params: Record<string, unknown>;
  idSuffix: string;
}

const ANSWER_BODY_MAX = 4096;

export function startTrial(spec: CanarySpec): CanaryOutput {
  return {
    stage: 'apply',
    candidates: spec.candidates.map((params, index) => ({
      index,
      params,
      result: 'untried',
      reason: null,
      score: null,
      answer: null,
      at: null,
    })),
    winner: null,
    outcome: null,
    restore: null,
    summary: null,
    endedAt: null,
  };
}

/** A stored output, or a fresh trial for a step that has none yet (or a retried one). */
export function trialOf(spec: CanarySpec, output: unknown): CanaryOutput {
  const o = output as Partial<CanaryOutput> | null;
  return o && Array.isArray(o.candidates) && typeof o.stage === 'string' ? (o as CanaryOutput) : startTrial(spec);
}

/**
 * The trial's next call, with the output as it is once the budget is looked at: `elapsedMs` since
 * the step started; a candidate not reached within `budgetMs` is not tried. Null when it is done.
 */
export function nextCall(
  spec: CanarySpec,
  trial: CanaryOutput,
  elapsedMs: number,
  now: Date,
  stepParams: Record<string, unknown>,
): { trial: CanaryOutput; call: CanaryCall | null } {
  let t = trial;
  if (t.stage === 'apply' && spec.budgetMs !== null && elapsedMs >= spec.budgetMs) {
    const reason = `not tried: the step's budget of ${spec.budgetMs} ms was spent`;
    t = decide(
      spec,
      {
        ...t,
        candidates: t.candidates.map((c) =>
          c.result === 'untried' ? { ...c, result: 'not_tried', reason, at: now.toISOString() } : c,
        ),
      },
      now,
    );
  }
  return { trial: t, call: callOf(spec, t, stepParams) };
}

/**
 * The call the stored trial is at, the clock left out: the next candidate to apply, the promote or
 * the restore; null when it is done. For a call marked and stored, this is that call: a repeat of
 * an interrupted call sends it again (nextCall could, its budget spent meanwhile, make it another).
 */
export function callOf(spec: CanarySpec, t: CanaryOutput, stepParams: Record<string, unknown>): CanaryCall | null {
  switch (t.stage) {
    case 'apply': {
      const c = t.candidates.find((x) => x.result === 'untried')!;
      const candidate = { index: c.index, params: c.params };
      return { stage: 'apply', candidate, params: { ...stepParams, ...spec.apply }, idSuffix: `candidate-${c.index}` };
    }
    case 'promote': {
      const w = t.winner!;
      const candidate = { index: w.index, params: w.params };
      return { stage: 'promote', candidate, params: { ...stepParams, ...spec.promote }, idSuffix: 'promote' };
    }
    case 'restore':
      return { stage: 'restore', candidate: null, params: { ...stepParams, ...spec.restore }, idSuffix: 'restore' };
    case 'done':
      return null;
  }
}

/** Judges a candidate's answer: its check, then its score. Any answer but a 2xx with a result fails the candidate. */
export function judgeCandidate(
  spec: CanarySpec,
  trial: CanaryOutput,
  index: number,
  r: ActuatorCallResult,
  now: Date,
): CanaryOutput {
  const c = trial.candidates[index]!;
  const answer = {
    status: r.status,
    body: JSON.stringify(r.body ?? null).length <= ANSWER_BODY_MAX ? r.body : '(left out: larger than 4 KiB)',
  };
  let judged: Pick<CanaryCandidate, 'result' | 'reason' | 'score'>;
  if (r.outcome === 'succeeded') {
    const failure = checkFailure(spec.check, r.status, r.body, c.params);
    const score =
      failure === null ? evaluateNumber(spec.score, { ...checkBindings(r.status, r.body), candidate: c.params }) : null;
    if (failure !== null) judged = { result: 'failed', reason: failure, score: null };
    else if (score && 'error' in score) judged = { result: 'failed', reason: `no score: ${score.error}`, score: null };
    else judged = { result: 'passed', reason: null, score: (score as { value: number }).value };
  } else {
    const why =
      r.outcome === 'accepted'
        ? 'answered 202: a canary must answer with what it measured'
        : (r.error ?? `the canary answered ${r.outcome}`);
    judged = { result: 'failed', reason: why, score: null };
  }
  const candidates = trial.candidates.map((x) =>
    x.index === index ? { ...x, ...judged, answer, at: now.toISOString() } : x,
  );
  const next = { ...trial, candidates };
  return candidates.some((x) => x.result === 'untried') ? next : decide(spec, next, now);
}

/** Every candidate is judged: the best passing one is promoted (ties: the earlier one); with none, the canary is restored. */
function decide(spec: CanarySpec, trial: CanaryOutput, now: Date): CanaryOutput {
  let best: CanaryCandidate | null = null;
  for (const c of trial.candidates) if (c.result === 'passed' && (best === null || c.score! > best.score!)) best = c;
  if (best)
    return { ...trial, stage: 'promote', winner: { index: best.index, params: best.params, score: best.score! } };
  return {
    ...trial,
    stage: 'restore',
    restore: { slaMs: spec.restoreWithinMs, startedAt: now.toISOString(), ms: null, withinSla: null },
  };
}

/** A candidate's parameters in the playbook's order (the stored ones come back in the database's order). */
export function orderParams(spec: Pick<CanarySpec, 'paramOrder'>, params: Record<string, unknown>) {
  const keys = [
    ...spec.paramOrder.filter((k) => k in params),
    ...Object.keys(params).filter((k) => !spec.paramOrder.includes(k)),
  ];
  return Object.fromEntries(keys.map((k) => [k, params[k]]));
}

export const describeParams = (spec: Pick<CanarySpec, 'paramOrder'>, params: Record<string, unknown>): string =>
  JSON.stringify(orderParams(spec, params));

/** The promote or restore call succeeded: the trial is done, and says how it went. */
export function finishTrial(spec: CanarySpec, trial: CanaryOutput, now: Date): CanaryOutput {
  const counts = countsOf(spec, trial);
  const endedAt = now.toISOString();
  if (trial.stage === 'promote') {
    const w = trial.winner!;
    return {
      ...trial,
      stage: 'done',
      endedAt,
      outcome: 'promoted',
      summary: `promoted candidate ${w.index} ${describeParams(spec, w.params)} (score ${w.score}; ${counts})`,
    };
  }
  const ms = now.getTime() - Date.parse(trial.restore!.startedAt);
  const withinSla = ms <= trial.restore!.slaMs;
  const sla = `SLA ${trial.restore!.slaMs} ms ${withinSla ? 'met' : 'missed'}`;
  const restored = `the canary was restored in ${ms} ms (${sla})`;
  return {
    ...trial,
    stage: 'done',
    endedAt,
    outcome: trial.interrupted ? outcomeOf(trial.interrupted) : 'no_candidate',
    restore: { ...trial.restore!, ms, withinSla },
    summary: trial.interrupted
      ? `${interruptedSummary(spec, trial)}; ${restored}`
      : `no candidate passed (${counts}); ${restored}`,
  };
}

const outcomeOf = (then: CanaryInterruption): CanaryOutcome => (then.failedCall ? 'failed' : 'interrupted');

/** "p of t tried passed", and how many were not tried and why: the step's budget, or the trial interrupted. */
function countsOf(spec: CanarySpec, trial: CanaryOutput): string {
  const tried = trial.candidates.filter((c) => c.result === 'passed' || c.result === 'failed').length;
  const passed = trial.candidates.filter((c) => c.result === 'passed').length;
  const notTried = trial.candidates.length - tried;
  // Without an interruption only the step's budget leaves candidates untried: say so, it is what stopped the trial
  // (an interrupted trial's reason comes first in its summary).
  const why = trial.interrupted ? '' : ` (the step's budget of ${spec.budgetMs} ms was spent)`;
  return `${passed} of ${tried} tried passed${notTried > 0 ? `, ${notTried} not tried${why}` : ''}`;
}

/**
 * What the interruption left: why (the run stopped: `interrupted (…)`; the step's own call failed:
 * `failed (…)`), the counts, and a winner that was not promoted.
 */
function interruptedSummary(spec: CanarySpec, trial: CanaryOutput): string {
  const w = trial.winner;
  const unpromoted = w
    ? `; candidate ${w.index} ${describeParams(spec, w.params)} (score ${w.score}) was not promoted`
    : '';
  const then = trial.interrupted!;
  return `${outcomeOf(then)} (${then.reason}): ${countsOf(spec, trial)}${unpromoted}`;
}

/**
 * The canary may hold something this trial put there that no promote or restore has answered for:
 * a candidate's apply was sent (judged, or still out: `applyOut`, the step waiting for its call's
 * answer), or the promote or the restore is due or out. A trial that has applied nothing, or is
 * done (promoted: the winner is the fix itself, which the playbook's rollback undoes; or restored),
 * left nothing on the canary.
 */
export function leavesCanaryDirty(trial: CanaryOutput, applyOut: boolean): boolean {
  switch (trial.stage) {
    case 'apply':
      return applyOut || trial.candidates.some((c) => c.result === 'passed' || c.result === 'failed');
    case 'promote':
    case 'restore':
      return true;
    case 'done':
      return false;
  }
}

/**
 * The run stops mid-trial (leavesCanaryDirty), or the step's own promote or apply failed
 * (`then.failedCall`): the trial's next call is the restore (one already under way goes on, timed
 * from when it began), the candidates not judged are not tried (the one whose apply was out,
 * `applyOut`, says so), and the outcome is `interrupted` (the run stopped) or `failed` (the step's
 * call). Once the restore answers, finishTrial says how long it took; the step then ends as `then.status`.
 */
export function interruptTrial(
  spec: CanarySpec,
  trial: CanaryOutput,
  now: Date,
  then: CanaryInterruption,
  applyOut: boolean,
): CanaryOutput {
  const at = now.toISOString();
  const out = applyOut && trial.stage === 'apply' ? trial.candidates.find((c) => c.result === 'untried') : undefined;
  const candidates = trial.candidates.map((c) =>
    c.result !== 'untried'
      ? c
      : {
          ...c,
          result: 'not_tried' as const,
          reason: then.failedCall
            ? c === out
              ? `not judged: ${then.reason}`
              : `not tried: the step failed (${then.reason})`
            : c === out
              ? `not judged: its apply was out when the run stopped (${then.reason})`
              : `not tried: the run stopped (${then.reason})`,
          at,
        },
  );
  const restore =
    trial.stage === 'restore' && trial.restore
      ? trial.restore
      : { slaMs: spec.restoreWithinMs, startedAt: at, ms: null, withinSla: null };
  const t: CanaryOutput = {
    ...trial,
    stage: 'restore',
    candidates,
    restore,
    outcome: outcomeOf(then),
    interrupted: then,
  };
  return { ...t, summary: `${interruptedSummary(spec, t)}; restoring the canary` };
}

/** The step goes to a person (its actuator is not configured): the trial stops using the canary now, if it has not already. */
export function handOverTrial(trial: CanaryOutput, now: Date): CanaryOutput {
  return trial.endedAt ? trial : { ...trial, endedAt: now.toISOString() };
}
