import type { Escalation, Run, RunStatus } from '../api-types.js';
import { EXIT } from '../exit-codes.js';
import type { Health, LastCheck } from '../status-memory.js';

/**
 * Where a run whose verdict is `failed` can be: failed (its rollback running, or none to run),
 * rolled back, rollback failed, or waiting for a person or a coding agent (a rollback step that
 * escalated) to finish a rollback step.
 */
export const FAILED_VERDICT_STATUSES: readonly RunStatus[] = [
  'failed',
  'rolled_back',
  'rollback_failed',
  'awaiting_operator',
  'awaiting_patch',
];

export interface Evidence {
  /** Escalations still armed by the wall clock (`GET /signals/escalations?active=true`). */
  armedEscalations: Escalation[];
  /** Runs started in the window in FAILED_VERDICT_STATUSES (judge keeps those whose verdict is `failed`). */
  failedRuns: Run[];
  /** Runs started in the window that succeeded (they fix earlier failures of runs without an incident). */
  succeededRuns: Run[];
  /** Of the incidents the above point at, those resolved now. */
  resolvedIncidents: ReadonlySet<string>;
}

export interface Judgement {
  health: Health;
  openEscalations: Escalation[];
  failingRuns: Run[];
}

/**
 * Degraded when something is broken and not fixed yet (seed 004: "escalation armed but not
 * fixed"):
 * - an **open escalation**: a degradation escalation still armed (its time to live not over)
 *   whose incident is not resolved;
 * - a **failing run**: a run started in the window whose verdict is `failed` (it failed, rolled
 *   back or its rollback failed, or it is still rolling back) and whose incident is not resolved
 *   now; a run without an incident (a patch trigger's) until a later run of the same playbook for
 *   the same agent succeeded.
 * Anything else is healthy. Waiting work (reviews, operator steps) is the inbox's, not a failure.
 */
export function judge(e: Evidence): Judgement {
  const unresolved = (incidentId: string | null) => incidentId !== null && !e.resolvedIncidents.has(incidentId);
  const openEscalations = e.armedEscalations.filter((x) => unresolved(x.incidentId));
  const fixedLater = (run: Run) =>
    e.succeededRuns.some(
      (later) =>
        later.incidentId === null &&
        later.playbookId === run.playbookId &&
        later.agentId === run.agentId &&
        later.createdAt > run.createdAt,
    );
  const failingRuns = e.failedRuns.filter(
    (run) => run.verdict === 'failed' && (run.incidentId !== null ? unresolved(run.incidentId) : !fixedLater(run)),
  );
  const health = openEscalations.length > 0 || failingRuns.length > 0 ? 'degraded' : 'healthy';
  return { health, openEscalations, failingRuns };
}

export type Verdict = 'healthy' | 'degraded' | 'fixed';

/** 0 healthy, 1 degraded, 2 healthy now after a degraded last check ("fixed since the last check"). */
export function verdictOf(health: Health, last: LastCheck | null): { verdict: Verdict; exitCode: number } {
  if (health === 'degraded') return { verdict: 'degraded', exitCode: EXIT.no };
  if (last?.health === 'degraded') return { verdict: 'fixed', exitCode: EXIT.changed };
  return { verdict: 'healthy', exitCode: EXIT.ok };
}
