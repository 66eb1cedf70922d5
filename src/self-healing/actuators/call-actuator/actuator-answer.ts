import { parseRetryAfter } from '../../../platform/egress/retry-after.js';
import type { ActuatorCallResult } from './call-actuator.command.js';

/** An actuator's answer is read up to this many bytes; the rest is dropped unread. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** Nesting kept in a stored answer; deeper parts become a note (PostgreSQL and JSON.stringify have limits). */
export const MAX_STORED_DEPTH = 64;
/** What replaces U+0000 and unpaired surrogates, which PostgreSQL's text and jsonb refuse. */
export const REPLACEMENT = '\ufffd';
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The answer as it can be stored: in every string and key, U+0000 and lone UTF-16 surrogates
 * become U+FFFD (the replacement character); nesting deeper than MAX_STORED_DEPTH becomes a
 * note. An answer the service accepted must be storable, or the step's transaction fails and
 * a call that succeeded would be made again.
 */
export function storable(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(UNSTORABLE, REPLACEMENT);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_STORED_DEPTH) return `(not stored: nested deeper than ${MAX_STORED_DEPTH} levels)`;
  if (Array.isArray(value)) return value.map((x) => storable(x, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, x]) => [storable(k), storable(x, depth + 1)]));
}

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
