import { backoffDelayMs } from '../outbox/backoff.js';

/** Retry-After is honoured up to this long; a longer one is read as this. */
const MAX_RETRY_AFTER_MS = 3600_000;

/** Retry-After as delta-seconds or an HTTP date; capped at an hour; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  const ms = /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS) : null;
}

/**
 * Delay before retry `attempt` (1 = the first retry): exponential with equal jitter, never
 * shorter than Retry-After when the receiver sent one. Actuator calls and notification deliveries use it.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | null,
  baseMs = 500,
  maxMs = 30_000,
  random = Math.random,
): number {
  const jittered = backoffDelayMs(attempt, baseMs, maxMs, random);
  return retryAfterMs === null ? jittered : Math.max(retryAfterMs, jittered);
}
