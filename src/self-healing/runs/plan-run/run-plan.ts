import { onFailureOf, type Playbook } from '../../recovery/playbook-catalog.js';
import {
  resolveCanary,
  resolveStepParams,
  resolveWaitMs,
  type PlaybookStep,
  type StepList,
} from '../../recovery/playbook-steps.js';
import { CODING_AGENT_ACTUATOR } from '../engine/run-advancer.js';
import { decideWhen } from '../engine/step-conditions.js';
import type { PlannedCall, PlannedCondition, PlannedStep, RunPlan } from './run-plan.view.js';

/*
 * A dry run (DESIGN §13): what a run of a playbook would do, worked out the way StartRecoveryRun
 * and the RunAdvancer would (parameters filled, actuators looked up, `when` conditions evaluated
 * where nothing earlier decides them) without calling anything or writing anything.
 */

export interface PlanContext {
  /** The tenant's configured actuators, by name. */
  actuators: ReadonlySet<string>;
  /** Started by a person (approve, trigger) or auto-applied: decides what a failed step does. */
  automatic: boolean;
}

/** The steps and calls of a run of `playbook` with `params`: the pure part of a dry run. */
export function planSteps(
  playbook: Playbook,
  params: Record<string, unknown>,
  ctx: PlanContext,
): Pick<RunPlan, 'steps' | 'calls' | 'onFailure'> {
  const steps: PlannedStep[] = [];
  const calls: PlannedCall[] = [];
  // The run has a row for every step of every list, and its `when` conditions see them all.
  const stepIds = (['steps', 'verify', 'rollback'] as const).flatMap((list) => playbook[list].map((s) => s.id));
  for (const list of ['steps', 'verify', 'rollback'] as const) {
    for (const s of playbook[list]) {
      const planned = planStep(s, list, params, ctx, stepIds);
      steps.push(planned);
      calls.push(...callsOf(s, planned, params, ctx));
    }
  }
  return { steps, calls, onFailure: onFailureOf(playbook, ctx.automatic) };
}

function planStep(
  s: PlaybookStep,
  list: StepList,
  params: Record<string, unknown>,
  ctx: PlanContext,
  stepIds: readonly string[],
): PlannedStep {
  const configured = s.actuator ? ctx.actuators.has(s.actuator) : null;
  const canary = s.canary ? resolveCanary(s.canary, params) : null;
  return {
    id: s.id,
    list,
    kind: s.kind,
    runsAs: configured === false ? 'manual' : s.kind,
    instruction: s.instruction,
    actuator: s.actuator ?? null,
    actuatorConfigured: configured,
    params: resolveStepParams(s, params),
    durationMs: s.kind === 'wait' ? resolveWaitMs(s, params) : null,
    condition: s.condition ?? null,
    when: s.when ? planCondition(s.when, stepIds) : null,
    canary: canary && {
      candidates: canary.candidates,
      check: canary.check,
      score: canary.score,
      onNoCandidate: canary.onNoCandidate,
      restoreWithinMs: canary.restoreWithinMs,
      budgetMs: canary.budgetMs,
    },
    timeoutMs: s.timeoutMs,
    attempts: s.attempts,
  };
}

/**
 * Decided now when it reads nothing of what steps answer: with no `steps` at all, or only which
 * steps the run has (evaluated against every step of the run, as the engine binds them); or when it
 * reads answers only by step id (`steps.x.output…`) and is decided without them (evaluated with none
 * known: each such read fails). Otherwise it waits for their answers, as the engine does when it gets
 * there (decideWhen, which a skip's judgement of the checks after it shares, with the answers it knows).
 */
export function planCondition(expression: string, stepIds: readonly string[]): PlannedCondition {
  const decided = decideWhen(expression, {}, stepIds);
  if (decided !== null) {
    return {
      expression,
      result: decided ? 'runs' : 'skipped',
      reason: `it is ${decided} whatever earlier steps answer`,
    };
  }
  const read = [
    ...new Set([...expression.matchAll(/steps\s*(?:\.\s*|\[\s*["'])([a-z][a-z0-9_]*)/g)].map((m) => m[1]!)),
  ];
  const what =
    read.length > 0
      ? `what step${read.length === 1 ? '' : 's'} ${read.join(', ')} answer${read.length === 1 ? 's' : ''}`
      : 'earlier steps';
  return { expression, result: 'unknown', reason: `decided when the run gets there: it reads ${what}` };
}

function callsOf(s: PlaybookStep, p: PlannedStep, params: Record<string, unknown>, ctx: PlanContext): PlannedCall[] {
  if (p.when?.result === 'skipped') return [];
  const cases = [
    p.list === 'rollback' ? 'the run fails or is canceled' : null,
    p.when?.result === 'unknown' ? p.when.expression : null,
  ].filter((x) => x !== null);
  const onlyIf = (extra?: string) => [...cases, ...(extra ? [extra] : [])].join(' and ') || null;
  const call = (
    purpose: PlannedCall['purpose'],
    actuator: string,
    sent: Record<string, unknown>,
    candidate: Record<string, unknown> | null = null,
    extra?: string,
  ): PlannedCall => ({
    stepId: p.id,
    list: p.list,
    purpose,
    actuator,
    params: sent,
    candidate,
    onlyIf: onlyIf(extra),
  });
  if (s.kind === 'escalate')
    return ctx.actuators.has(CODING_AGENT_ACTUATOR)
      ? [call('notify', CODING_AGENT_ACTUATOR, { type: 'work_order.created' })]
      : [];
  if (!p.actuator || !p.actuatorConfigured) return []; // no actuator: a person does it
  if (s.kind !== 'canary') return [call('call', p.actuator, p.params)];
  const spec = resolveCanary(s.canary!, params);
  return [
    ...spec.candidates.map((c, i) =>
      call(
        'apply',
        p.actuator!,
        { ...p.params, ...spec.apply },
        c,
        i > 0 && spec.budgetMs !== null ? `the step's budget of ${spec.budgetMs} ms is not spent` : undefined,
      ),
    ),
    call(
      'promote',
      p.actuator,
      { ...p.params, ...spec.promote },
      null,
      'a candidate passes (the best by score is sent)',
    ),
    call('restore', p.actuator, { ...p.params, ...spec.restore }, null, 'no candidate passes'),
  ];
}
