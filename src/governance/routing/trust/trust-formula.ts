/** How a finished recovery run moves the trust of the agent's capability (ADR 0009). */
export type RunOutcome = 'succeeded' | 'failed' | 'rolled_back' | 'rollback_failed' | 'canceled';

/** Share of the distance to 1 a verified run closes. */
export const TRUST_GAIN = 0.25;
/** Share of the trust a failed (or rolled-back) run takes away; a failed rollback takes twice as much. */
export const TRUST_LOSS = 0.25;

/**
 * Exponential steps toward 1 on success and toward 0 on failure: each step is a fixed share of
 * the remaining room, so trust stays in [0, 1], recent runs weigh most, and a long record moves
 * slowly near the ends. A canceled run says nothing about the fix: no change (null).
 */
export function nextTrust(previous: number, outcome: RunOutcome): number | null {
  let next: number;
  if (outcome === 'succeeded') next = previous + TRUST_GAIN * (1 - previous);
  else if (outcome === 'failed' || outcome === 'rolled_back') next = previous * (1 - TRUST_LOSS);
  else if (outcome === 'rollback_failed') next = previous * (1 - 2 * TRUST_LOSS);
  else return null;
  return Math.round(Math.min(1, Math.max(0, next)) * 10_000) / 10_000;
}

/** `0.75 → 0.8125 after run … (succeeded)`: how the history shows a change. */
export function describeChange(previous: number, next: number, runId: string, outcome: RunOutcome): string {
  return `${previous} → ${next} after run ${runId} (${outcome})`;
}
