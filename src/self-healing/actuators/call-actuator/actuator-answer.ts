import { storable } from '../../../platform/database/storable.js';
import { parseRetryAfter } from '../../../platform/egress/retry-after.js';
import type { ActuatorCallResult } from './call-actuator.command.js';

/** An actuator's answer is read up to this many bytes; the rest is dropped unread. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * DESIGN §8: 202 accepted (result later); other 2xx succeed unless the body says
 * `{"status":"failed"}`; 408, 429 and 5xx are retryable (with Retry-After); redirects are not
 * followed and fail, as do other 4xx.
 */
export function classifyAnswer(status: number, retryAfter: string | null, text: string, now = Date.now()): Omit<ActuatorCallResult, 'durationMs'> {
  const body = storable(parseBody(text));
  const base = { status, body, retryAfterMs: null as number | null, error: null as string | null };
  if (status === 202) return { ...base, outcome: 'accepted' };
  if (status >= 200 && status < 300) {
    const failed = typeof body === 'object' && body !== null && (body as { status?: unknown }).status === 'failed';
    return failed ? { ...base, outcome: 'failed', error: 'the actuator answered {"status":"failed"}' } : { ...base, outcome: 'succeeded' };
  }
  if (status === 408 || status === 429 || status >= 500) {
    return { ...base, outcome: 'retryable', error: `HTTP ${status}`, retryAfterMs: parseRetryAfter(retryAfter, now) };
  }
  if (status >= 300 && status < 400) return { ...base, outcome: 'failed', error: `HTTP ${status}: redirects are not followed` };
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
