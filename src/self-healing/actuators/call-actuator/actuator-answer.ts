import type { ActuatorCallResult } from './call-actuator.command.js';

/** An actuator's answer is read up to this many bytes; the rest is dropped unread. */
export const MAX_ANSWER_BYTES = 64 * 1024;
const MAX_RETRY_AFTER_MS = 3600_000;

/** Reads at most MAX_ANSWER_BYTES of a response body, then cancels the stream. */
export async function readCapped(res: Response, cap = MAX_ANSWER_BYTES): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= cap) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, cap).toString('utf8');
}

/**
 * DESIGN §8: 202 accepted (result later); other 2xx succeed unless the body says
 * `{"status":"failed"}`; 408, 429 and 5xx are retryable (with Retry-After); redirects are not
 * followed and fail, as do other 4xx.
 */
export function classifyAnswer(status: number, retryAfter: string | null, text: string, now = Date.now()): Omit<ActuatorCallResult, 'durationMs'> {
  const body = parseBody(text);
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

/** Retry-After as delta-seconds or an HTTP date; capped at an hour; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  const ms = /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS) : null;
}

/**
 * Delay before retry `attempt` (1 = the first retry): exponential with full jitter, never
 * shorter than Retry-After when the actuator sent one.
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | null, baseMs = 500, maxMs = 30_000, random = Math.random): number {
  const backoff = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(backoff / 2 + random() * (backoff / 2));
  return retryAfterMs === null ? jittered : Math.max(retryAfterMs, jittered);
}
