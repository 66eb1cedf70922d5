import { storable } from '../../../platform/database/storable.js';
import { parseRetryAfter } from '../../../platform/egress/retry-after.js';
import type { ActuatorCallResult } from './call-actuator.command.js';

/** An actuator's answer is read up to this many bytes; the rest is dropped unread. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** An actuator's `error` is kept up to this length. */
const MAX_ERROR_CHARS = 1000;

/**
 * DESIGN §8: 202 accepted (result later); other 2xx succeed unless the body says
 * `{"status":"failed"}` (its `error`, if a string, is the step's error); 408, 429 and 5xx are
 * retryable (with Retry-After); redirects are not followed and fail, as do other 4xx. `redact`
 * (the call's secretRedactor) is applied to the parsed body, before the error is cut out of it
 * and to its length: a secret the text hid behind an escape (`\/`, `\u…`) is whole there.
 */
export function classifyAnswer(
  status: number,
  retryAfter: string | null,
  text: string,
  redact: <T>(value: T) => T = (value) => value,
  now = Date.now(),
): Omit<ActuatorCallResult, 'durationMs'> {
  const body = storable(redact(parseBody(text)));
  const base = { status, body, retryAfterMs: null as number | null, error: null as string | null };
  if (status === 202) return { ...base, outcome: 'accepted' };
  if (status >= 200 && status < 300) {
    const answer = typeof body === 'object' && body !== null ? (body as { status?: unknown; error?: unknown }) : {};
    if (answer.status !== 'failed') return { ...base, outcome: 'succeeded' };
    // The actuator's own words, when it gives them, are what an operator reads on the paused run.
    const said =
      typeof answer.error === 'string' && answer.error.trim() !== ''
        ? answer.error.trim().slice(0, MAX_ERROR_CHARS)
        : null;
    return { ...base, outcome: 'failed', error: said ?? 'the actuator answered {"status":"failed"}' };
  }
  if (status === 408 || status === 429 || status >= 500) {
    return { ...base, outcome: 'retryable', error: `HTTP ${status}`, retryAfterMs: parseRetryAfter(retryAfter, now) };
  }
  if (status >= 300 && status < 400)
    return { ...base, outcome: 'failed', error: `HTTP ${status}: redirects are not followed` };
  return { ...base, outcome: 'failed', error: `HTTP ${status}` };
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
