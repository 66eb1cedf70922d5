import { ApiProperty } from '@nestjs/swagger';
import type { CanarySpec } from '../recovery/canary-step.js';
import { ON_FAILURE, type OnFailure } from '../recovery/playbook-catalog.js';
import { CanaryView, canaryView } from './canary.view.js';
import { decideWhen } from './engine/step-conditions.js';

/** Recovery runs (DESIGN §8): what the API answers and other modules may read. */

export const RUN_STATUSES = [
  'queued',
  'running',
  'awaiting_operator',
  'awaiting_patch',
  'verifying',
  'succeeded',
  'failed',
  'rolled_back',
  'rollback_failed',
  'canceled',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** Where a run is in its playbook: the steps, the verify checks, the recurrence watch, the rollback. */
export const RUN_PHASES = ['steps', 'verify', 'watch', 'rollback', 'done'] as const;
export type RunPhase = (typeof RUN_PHASES)[number];
export const STEP_STATUSES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'awaiting_operator',
  'timed_out',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];
/** What a running step waits for: an answer, a late result, a timer, a person, a coding agent, its next canary call. */
/** `canary`: a canary step whose canary another run's trial holds (ADR 0018): it has not started yet. */
export const WAITING_FOR = ['call', 'result', 'timer', 'operator', 'notify', 'patch', 'next', 'canary'] as const;
export type WaitingFor = (typeof WAITING_FOR)[number];
export type StepListName = 'steps' | 'verify' | 'rollback';
export const STEP_KINDS = ['webhook', 'manual', 'wait', 'check', 'escalate', 'canary'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const FINISHED_STEP: readonly StepStatus[] = ['succeeded', 'failed', 'skipped', 'timed_out'];
/** Whether the fix worked, stored when it is known (a failed run's rollback may still run, or wait for a person); a canceled run has none. */
export type RunVerdict = 'succeeded' | 'failed';
/** Phases of a run still trying to fix: its incident is mitigating, and it is the agent's active run (guardrail one_active_run). */
export const ACTIVE_PHASES: readonly RunPhase[] = ['steps', 'verify', 'watch'];

export interface RunRow {
  id: string;
  tenant_id: string;
  recovery_id: string | null;
  incident_id: string | null;
  pattern_id: string | null;
  playbook_id: string;
  agent_id: string | null;
  capability: string | null;
  automatic: boolean;
  started_by: string;
  status: RunStatus;
  phase: RunPhase;
  reason: string | null;
  verdict: RunVerdict | null;
  verdict_at: Date | null;
  params: Record<string, unknown>;
  context: RunContext;
  cancel_requested_by: string | null;
  /** What a failed step of its steps or checks does, fixed when it starts (DESIGN §13): wait for an operator, or roll back. */
  on_failure: OnFailure;
  /** The operator who chose to roll back a run paused on a failed step. */
  rollback_requested_by: string | null;
  recurrence_incident_id: string | null;
  recurrence_reason: string | null;
  paused_reason: string | null;
  deadline_at: Date;
  /** When the steps were through: the recurrence window runs from here to verify_until. */
  verify_from: Date | null;
  verify_until: Date | null;
  /** The playbook waits for monitoring to resolve the incident inside the window (an incident from monitoring only). */
  await_resolution: boolean;
  due_at: Date | null;
  lease_until: Date | null;
  lease_token: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

/** A run as the engine holds it (RunsRepository.lockLeased): with the database's time when it was locked, the engine's "now". */
export interface LeasedRun extends RunRow {
  locked_at: Date;
}

/** What the run's webhook payloads say about the incident and pattern, fixed when the run starts. */
export interface RunContext {
  incident: {
    id: string;
    title: string;
    errorType: string;
    severity: string;
    message: string;
    agentId: string | null;
    capability: string | null;
  } | null;
  pattern: { id: string; template: string; errorType: string } | null;
  /** POST /patches/trigger: the reported problem. */
  problem?: { description: string; errorType: string; filePath: string | null };
}

export interface StepRow {
  run_id: string;
  step_id: string;
  tenant_id: string;
  list: StepListName;
  position: number;
  kind: StepKind;
  /** The kind actually run: a webhook or check whose actuator is not configured runs as `manual`. */
  runs_as: StepRow['kind'];
  instruction: string;
  actuator: string | null;
  params: Record<string, unknown>;
  condition: string | null;
  run_if: string | null;
  /** A canary step's definition with its parameters filled (null for other kinds); its trial is the output. */
  canary: CanarySpec | null;
  duration_ms: number | null;
  timeout_ms: number;
  max_attempts: number;
  status: StepStatus;
  waiting_for: WaitingFor | null;
  attempts: number;
  /** Calls whose answer was lost (the service stopped mid-call) and that were repeated: not attempts. */
  interrupted_calls: number;
  /** Calls a stopping service cut off (made, their answer never read): not attempts, but the step may have acted. */
  cut_off_calls: number;
  /** The secrets its calls carried, sealed (StepCallSecrets); null once it finished. Never shown. */
  call_secrets_sealed: string | null;
  output: unknown;
  error: string | null;
  webhook_id: string;
  work_order_id: string | null;
  deadline_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

export interface RunTransitionRow {
  step_id: string | null;
  from_status: string | null;
  to_status: string;
  attempt: number | null;
  output: unknown;
  error: string | null;
  note: string | null;
  created_at: Date;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Whether a failed step can pause its run for an operator. A step handed to a person (manual) or
 * to a coding agent (escalate, or a canary step that escalated) that failed was their answer
 * already, and a canary step fails only after its whole trial and the canary's restore, which a
 * retry could not repeat: the run fails as before.
 */
export const pausesOnFailure = (step: Pick<StepRow, 'runs_as' | 'kind' | 'work_order_id'>): boolean =>
  step.runs_as !== 'manual' && step.runs_as !== 'escalate' && step.kind !== 'canary' && step.work_order_id === null;

/**
 * The failed step a run waits on an operator for (retry, skip or roll back, DESIGN §13); null
 * when it waits for none: not paused on a failure, or already being canceled or rolled back.
 */
export function pausedOn(run: RunRow, steps: StepRow[]): StepRow | null {
  const paused =
    run.status === 'awaiting_operator' &&
    (run.phase === 'steps' || run.phase === 'verify') &&
    run.on_failure === 'pause' &&
    run.rollback_requested_by === null &&
    run.cancel_requested_by === null;
  const failed = steps.find((x) => x.list !== 'rollback' && (x.status === 'failed' || x.status === 'timed_out'));
  return paused && failed && pausesOnFailure(failed) ? failed : null;
}

/**
 * Whether the run watches after its checks: for a recurrence of its pattern, or for monitoring's
 * resolution (`await_resolution`: its playbook waits for one, and its incident came from monitoring).
 * Without either the watch is zero-length (the engine's end of the checks), and nothing is judged in it.
 */
export const runWatches = (run: Pick<RunRow, 'pattern_id' | 'await_resolution'>): boolean =>
  run.pattern_id !== null || run.await_resolution;

type SkipStep = Pick<StepRow, 'list' | 'step_id' | 'status' | 'output' | 'run_if'>;

/**
 * Why an operator may not skip the failed step a run is paused on, or null when they may (ADR 0014:
 * which button an operator presses must not decide what the fix is believed to do). A failed
 * verification check is the fix's own evidence that it did not work: skipped, the run would go on to
 * its watch and be verified against it. A failed step of the steps may be skipped (it may have been
 * unneeded, or done by hand), since something after it still judges the fix: the watch for a
 * recurrence or for monitoring's resolution (runWatches), or a check that will run. A check whose
 * `when` would skip it judges nothing, so its condition is decided as the engine will decide it, from
 * what is known at the skip (decideWhen): the steps already finished, the skipped one as `skipped`.
 * One that waits for answers not known yet (a later step's, an earlier check's) is not counted: the
 * refusal leaves Retry and Roll back open, while a skip allowed on a guess would let the skip alone
 * verify the fix, a verdict learning and trust count, whenever the guess was wrong. This is the API's
 * text (the routes that stay open named); skipRefusalReason is the same in words for a person.
 */
export function skipRefusal(
  run: Pick<RunRow, 'id' | 'pattern_id' | 'await_resolution'>,
  steps: SkipStep[],
  failed: Pick<StepRow, 'list' | 'step_id'>,
): string | null {
  const why = skipRefusalReason(run, steps, failed);
  if (why === null) return null;
  return `${why}; retry it (POST /runs/${run.id}/steps/${failed.step_id}/retry, parameters may be corrected) or roll the run back (POST /runs/${run.id}/rollback)`;
}

/** Why a skip would be refused (skipRefusal), without the routes: what the console shows beside its Retry and Roll back buttons. */
export function skipRefusalReason(
  run: Pick<RunRow, 'pattern_id' | 'await_resolution'>,
  steps: SkipStep[],
  failed: Pick<StepRow, 'list' | 'step_id'>,
): string | null {
  if (failed.list === 'verify')
    return `a failed verification check cannot be skipped: the failure of check ${failed.step_id} is the fix's own evidence that it did not work, and skipped, the run would count the fix verified`;
  if (runWatches(run)) return null;
  const checks = steps.filter((x) => x.list === 'verify');
  const unsure = checks.map((c) => [c, checkRunsAfterSkip(c, steps, failed.step_id)] as const);
  if (unsure.some(([, runs]) => runs === true)) return null;
  const alone = 'so nothing after it would judge the fix and the skip alone would count it verified';
  const cannot = `step ${failed.step_id} cannot be skipped: the run has`;
  if (checks.length === 0)
    return `${cannot} no verification check and nothing to watch for (no pattern, no alert), ${alone}`;
  const why = unsure
    .map(([c, runs]) =>
      runs === false
        ? `check ${c.step_id} would be skipped (its condition ${c.run_if} is false)`
        : `check ${c.step_id} may be skipped (its condition ${c.run_if} waits for answers not known yet)`,
    )
    .join('; ');
  return `${cannot} nothing to watch for (no pattern, no alert) and no verification check sure to run after it: ${why}; ${alone}`;
}

/**
 * Whether check `c` will run once step `skipped` is skipped: true without a `when`; else its `when`
 * decided from the steps finished by then (decideWhen), null when that does not decide it.
 */
function checkRunsAfterSkip(c: SkipStep, steps: SkipStep[], skipped: string): boolean | null {
  if (!c.run_if) return true;
  const known = Object.fromEntries(
    steps
      .filter((x) => x.step_id === skipped || FINISHED_STEP.includes(x.status))
      .map((x) => [x.step_id, { status: x.step_id === skipped ? 'skipped' : x.status, output: x.output ?? null }]),
  );
  return decideWhen(
    c.run_if,
    known,
    steps.map((x) => x.step_id),
  );
}

/** The work order a run escalated to, if it did (DESIGN §9: run and work order point at each other). */
export const workOrderOf = (steps: StepRow[]): string | null =>
  steps.find((s) => s.work_order_id)?.work_order_id ?? null;

/** A count per run status (statistics). */
export class RunsByStatus implements Record<RunStatus, number> {
  @ApiProperty() queued!: number;
  @ApiProperty() running!: number;
  @ApiProperty() awaiting_operator!: number;
  @ApiProperty() awaiting_patch!: number;
  @ApiProperty() verifying!: number;
  @ApiProperty() succeeded!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() rolled_back!: number;
  @ApiProperty() rollback_failed!: number;
  @ApiProperty() canceled!: number;
}

/** A step of a run's playbook as the API answers it; `list` says whether it is a step, a verify check or a rollback step. */
export class StepView {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['steps', 'verify', 'rollback'] }) list!: StepListName;
  @ApiProperty({ enum: STEP_KINDS }) kind!: StepKind;
  @ApiProperty({
    enum: STEP_KINDS,
    description: 'the kind actually run (a webhook without its actuator runs as manual)',
  })
  runsAs!: StepKind;
  @ApiProperty() instruction!: string;
  @ApiProperty({ type: String, nullable: true }) actuator!: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'what it sends, {{param}} values filled (a retry may correct them)',
  })
  params!: Record<string, unknown>;
  @ApiProperty({ enum: STEP_STATUSES }) status!: StepStatus;
  @ApiProperty({ type: String, nullable: true, enum: WAITING_FOR }) waitingFor!: WaitingFor | null;
  @ApiProperty() attempts!: number;
  @ApiProperty() maxAttempts!: number;
  @ApiProperty({
    description: 'calls repeated because their answer was lost (the service stopped mid-call): not attempts',
  })
  interruptedCalls!: number;
  @ApiProperty({
    description:
      'calls a stopping service cut off, to be made again: not attempts, but made, so the step may have acted (its rollback runs)',
  })
  cutOffCalls!: number;
  @ApiProperty({ nullable: true, description: 'what the step produced (an actuator answer, a note)' }) output!: unknown;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({
    type: CanaryView,
    nullable: true,
    description: "a canary step's candidates and their results (null for other kinds)",
  })
  canary!: CanaryView | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) workOrderId!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) deadlineAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) startedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) finishedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

/** One stored transition of a run (stepId null) or of one of its steps. */
export class RunTransitionView {
  @ApiProperty({ type: String, nullable: true }) stepId!: string | null;
  @ApiProperty({ type: String, nullable: true }) from!: string | null;
  @ApiProperty() to!: string;
  @ApiProperty({ type: Number, nullable: true }) attempt!: number | null;
  @ApiProperty({ nullable: true }) output!: unknown;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: String, nullable: true }) note!: string | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class RunView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: RUN_STATUSES }) status!: RunStatus;
  @ApiProperty({ enum: RUN_PHASES }) phase!: RunPhase;
  @ApiProperty({ type: String, nullable: true, description: 'why it ended as it did (or is stopping), in words' })
  reason!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['succeeded', 'failed'],
    description: 'whether the fix worked, once known (a failed run may still roll back); null when canceled',
  })
  verdict!: RunVerdict | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) verdictAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) incidentId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "the incident's title when the run started" })
  incidentTitle!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) recoveryId!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) patternId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "the pattern's template when the run started" })
  patternTemplate!: string | null;
  @ApiProperty() playbookId!: string;
  @ApiProperty({ type: String, nullable: true }) agentId!: string | null;
  @ApiProperty({ type: String, nullable: true }) capability!: string | null;
  @ApiProperty() automatic!: boolean;
  @ApiProperty() startedBy!: string;
  @ApiProperty({ type: String, nullable: true }) pausedReason!: string | null;
  @ApiProperty({ type: String, nullable: true }) cancelRequestedBy!: string | null;
  @ApiProperty({ description: 'POST /runs/:id/cancel would be accepted now' }) cancelable!: boolean;
  @ApiProperty({
    enum: ON_FAILURE,
    description: 'what a failed step does: pause for an operator, or roll back at once',
  })
  onFailure!: OnFailure;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'the failed step the run waits on: POST …/steps/:stepId/retry or …/skip, or POST /runs/:id/rollback',
  })
  pausedOnStep!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'why POST …/steps/:pausedOnStep/skip would be refused (409): a failed verification check, or a run nothing else would judge; null when it is not paused or a skip would be accepted',
  })
  skipRefusal!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'skipRefusal in words for a person, without the routes (retry and roll back stay open); null with it',
  })
  skipRefusalReason!: string | null;
  @ApiProperty({ type: String, nullable: true }) rollbackRequestedBy!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'the work order it escalated to' })
  workOrderId!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'start of the recurrence watch window: when its steps were through',
  })
  verifyFrom!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'end of the recurrence watch window' })
  verifyUntil!: string | null;
  @ApiProperty({ description: "the watch also waits for monitoring's resolution of its incident" })
  awaitResolution!: boolean;
  @ApiProperty({ format: 'date-time' }) deadlineAt!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) startedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) finishedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: [StepView], required: false }) steps?: StepView[];
  @ApiProperty({ type: [RunTransitionView], required: false }) transitions?: RunTransitionView[];
}

/** A run with the name of its playbook (the controllers add it from the catalog). */
export class NamedRunView extends RunView {
  @ApiProperty({ type: String, nullable: true, description: 'null: the playbook left the catalog' }) playbookName!:
    string | null;
}

export class RunPage {
  @ApiProperty({ type: [NamedRunView] }) items!: NamedRunView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export const stepView = (s: StepRow): StepView => ({
  id: s.step_id,
  list: s.list,
  kind: s.kind,
  runsAs: s.runs_as,
  instruction: s.instruction,
  actuator: s.actuator,
  params: s.params,
  status: s.status,
  waitingFor: s.waiting_for,
  attempts: s.attempts,
  maxAttempts: s.max_attempts,
  interruptedCalls: s.interrupted_calls,
  cutOffCalls: s.cut_off_calls,
  output: s.output ?? null,
  error: s.error,
  canary: s.kind === 'canary' && s.canary ? canaryView(s.output, s.canary) : null,
  workOrderId: s.work_order_id,
  deadlineAt: iso(s.deadline_at),
  startedAt: iso(s.started_at),
  finishedAt: iso(s.finished_at),
  updatedAt: s.updated_at.toISOString(),
});

const skipRefusalOf = (r: RunRow, steps: StepRow[], refusal = skipRefusal): string | null => {
  const failed = pausedOn(r, steps);
  return failed ? refusal(r, steps, failed) : null;
};

export const runView = (r: RunRow, steps?: StepRow[], transitions?: RunTransitionRow[]): RunView => ({
  id: r.id,
  status: r.status,
  phase: r.phase,
  reason: r.reason,
  verdict: r.verdict,
  verdictAt: iso(r.verdict_at),
  incidentId: r.incident_id,
  incidentTitle: r.context.incident?.title ?? null,
  recoveryId: r.recovery_id,
  patternId: r.pattern_id,
  patternTemplate: r.context.pattern?.template ?? null,
  playbookId: r.playbook_id,
  agentId: r.agent_id,
  capability: r.capability,
  automatic: r.automatic,
  startedBy: r.started_by,
  pausedReason: r.paused_reason,
  cancelRequestedBy: r.cancel_requested_by,
  // What CancelRun accepts.
  cancelable:
    r.phase !== 'done' && r.phase !== 'rollback' && r.cancel_requested_by === null && r.rollback_requested_by === null,
  onFailure: r.on_failure,
  pausedOnStep: steps ? (pausedOn(r, steps)?.step_id ?? null) : null,
  skipRefusal: steps ? skipRefusalOf(r, steps) : null,
  skipRefusalReason: steps ? skipRefusalOf(r, steps, skipRefusalReason) : null,
  rollbackRequestedBy: r.rollback_requested_by,
  workOrderId: steps ? workOrderOf(steps) : null,
  verifyFrom: iso(r.verify_from),
  verifyUntil: iso(r.verify_until),
  awaitResolution: r.await_resolution,
  deadlineAt: r.deadline_at.toISOString(),
  createdAt: r.created_at.toISOString(),
  startedAt: iso(r.started_at),
  finishedAt: iso(r.finished_at),
  updatedAt: r.updated_at.toISOString(),
  ...(steps ? { steps: steps.map(stepView) } : {}),
  ...(transitions
    ? {
        transitions: transitions.map((t) => ({
          stepId: t.step_id,
          from: t.from_status,
          to: t.to_status,
          attempt: t.attempt,
          output: t.output ?? null,
          error: t.error,
          note: t.note,
          at: t.created_at.toISOString(),
        })),
      }
    : {}),
});
