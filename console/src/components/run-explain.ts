import type { Run, Step } from '../api/client';
import { shortenIds } from './format';

/**
 * Where a run stands and why, in words an on-call engineer reads first. The server's `reason`
 * (and, later, its richer explanations) is quoted as it comes; this adds what the status and
 * phase mean.
 */
export function runHeadline(run: Run, steps: Step[]): string {
  const waiting = steps.find((s) => s.status === 'running' || s.status === 'awaiting_operator');
  const reason = run.reason ? shortenIds(run.reason) : null;
  if (run.phase === 'rollback' && (run.status === 'awaiting_operator' || run.status === 'awaiting_patch')) {
    // The run stopped and its rollback waits for someone: why it stopped comes first (the engine
    // keeps the stop's reason; a failure has its verdict, a cancel none).
    const stopped = `${run.verdict === 'failed' ? 'Failed' : 'Canceled'}${reason ? `: ${reason}` : ''}`;
    const doing =
      run.status === 'awaiting_patch'
        ? 'waiting for a coding agent to deliver a patch (see the work order)'
        : `waiting for an operator${waiting ? ` to do “${waiting.instruction}”` : ''}`;
    return `${stopped}; rolling back — ${doing}.`;
  }
  switch (run.status) {
    case 'succeeded':
      return 'Verified: every step and check passed and the fault did not come back within the watch window.';
    case 'rolled_back':
      return `Rolled back${reason ? ` because ${reason}` : ''}. The rollback steps below undid the fix.`;
    case 'rollback_failed':
      return `Failed${reason ? ` (${reason})` : ''}, and its rollback failed too: the system may be half-changed — check the rollback steps.`;
    case 'failed':
      return run.phase === 'rollback'
        ? `Failed${reason ? ` (${reason})` : ''}; rolling back now.`
        : `Failed${reason ? `: ${reason}` : ''}.`;
    case 'canceled':
      return `Canceled${run.cancelRequestedBy ? ` by ${shortenIds(run.cancelRequestedBy)}` : ''}${reason ? `: ${reason}` : ''}.`;
    case 'awaiting_operator':
      if (run.pausedOnStep) {
        const what = `Paused: step “${run.pausedOnStep}” failed and nothing has been undone yet.`;
        return run.skipRefusal === null
          ? `${what} Retry it (with corrected parameters), skip it, or roll the run back.`
          : `${what} Retry it (with corrected parameters) or roll the run back.`;
      }
      return `Waiting for an operator${waiting ? ` to do “${waiting.instruction}”` : ''}${run.pausedReason ? ` (${run.pausedReason})` : ''}.`;
    case 'awaiting_patch':
      return 'Waiting for a coding agent to deliver a patch (see the work order).';
    case 'verifying':
      return run.phase === 'watch'
        ? 'Watching for a recurrence: the fix is verified when the window closes without one.'
        : 'Running the verification checks.';
    case 'queued':
      return 'Queued: the engine takes it up shortly.';
    default:
      return `${run.pausedReason ? `Paused (${run.pausedReason}). ` : ''}Running${waiting ? ` step “${waiting.id}”` : ''}.`;
  }
}

export const PHASE_LABELS: Record<Run['phase'], string> = {
  steps: 'running its steps',
  verify: 'verification checks',
  watch: 'recurrence watch',
  rollback: 'rolling back',
  done: 'done',
};
