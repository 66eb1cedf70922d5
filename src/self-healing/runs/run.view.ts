/** Recovery runs (DESIGN §8): what the API answers and other modules may read. */

export const RUN_STATUSES = [
  'queued', 'running', 'awaiting_operator', 'awaiting_patch', 'verifying',
  'succeeded', 'failed', 'rolled_back', 'rollback_failed', 'canceled',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** Where a run is in its playbook: the steps, the verify checks, the recurrence watch, the rollback. */
export type RunPhase = 'steps' | 'verify' | 'watch' | 'rollback' | 'done';
export const STEP_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'awaiting_operator', 'timed_out'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];
/** What a running step waits for: its actuator's answer, a late result, a timer, a person, the coding agent. */
export type WaitingFor = 'call' | 'result' | 'timer' | 'operator' | 'notify' | 'patch';
export type StepListName = 'steps' | 'verify' | 'rollback';

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
  incident: { id: string; title: string; errorType: string; severity: string; message: string; agentId: string | null; capability: string | null } | null;
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
  kind: 'webhook' | 'manual' | 'wait' | 'check' | 'escalate';
  /** The kind actually run: a webhook or check whose actuator is not configured runs as `manual`. */
  runs_as: StepRow['kind'];
  instruction: string;
  actuator: string | null;
  params: Record<string, unknown>;
  condition: string | null;
  run_if: string | null;
  duration_ms: number | null;
  timeout_ms: number;
  max_attempts: number;
  status: StepStatus;
  waiting_for: WaitingFor | null;
  attempts: number;
  /** Calls whose answer was lost (the service stopped mid-call) and that were repeated: not attempts. */
  interrupted_calls: number;
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

/** The work order a run escalated to, if it did (DESIGN §9: run and work order point at each other). */
export const workOrderOf = (steps: StepRow[]): string | null => steps.find((s) => s.work_order_id)?.work_order_id ?? null;

export const stepView = (s: StepRow) => ({
  id: s.step_id,
  list: s.list,
  kind: s.kind,
  runsAs: s.runs_as,
  instruction: s.instruction,
  actuator: s.actuator,
  status: s.status,
  waitingFor: s.waiting_for,
  attempts: s.attempts,
  maxAttempts: s.max_attempts,
  interruptedCalls: s.interrupted_calls,
  output: s.output ?? null,
  error: s.error,
  workOrderId: s.work_order_id,
  deadlineAt: iso(s.deadline_at),
  startedAt: iso(s.started_at),
  finishedAt: iso(s.finished_at),
  updatedAt: s.updated_at.toISOString(),
});
export type StepView = ReturnType<typeof stepView>;

export const runView = (r: RunRow, steps?: StepRow[], transitions?: RunTransitionRow[]) => ({
  id: r.id,
  status: r.status,
  phase: r.phase,
  reason: r.reason,
  verdict: r.verdict,
  verdictAt: iso(r.verdict_at),
  incidentId: r.incident_id,
  recoveryId: r.recovery_id,
  patternId: r.pattern_id,
  playbookId: r.playbook_id,
  agentId: r.agent_id,
  capability: r.capability,
  automatic: r.automatic,
  startedBy: r.started_by,
  pausedReason: r.paused_reason,
  cancelRequestedBy: r.cancel_requested_by,
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
          stepId: t.step_id, from: t.from_status, to: t.to_status, attempt: t.attempt, output: t.output ?? null, error: t.error, note: t.note, at: t.created_at.toISOString(),
        })),
      }
    : {}),
});
export type RunView = ReturnType<typeof runView>;
