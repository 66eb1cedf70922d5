import { storableText } from '../../../platform/database/storable.js';
import { parseRetryAfter } from '../../../platform/egress/retry-after.js';

export interface AttemptOutcome {
  /** sent: done; retry: try again later; dead: trying again cannot help. */
  kind: 'sent' | 'retry' | 'dead';
  /** From Retry-After on a 429 or 503 (Slack's rate limit answers 429 with it). */
  retryAfterMs: number | null;
  error: string | null;
}

/** What a channel's error body adds to the error: Slack answers `invalid_payload`, `no_service`, … */
const MAX_BODY_IN_ERROR = 200;

/**
 * A channel's answer to one attempt: 2xx is delivered; 408, 429 and 5xx are worth another try
 * (after Retry-After when given); a redirect or another 4xx will not get better by itself (a
 * revoked Slack webhook answers 404 or 410), so the delivery is dead-lettered at once and can be
 * retried by hand once the channel is fixed.
 */
export function attemptOutcome(
  status: number,
  retryAfter: string | null,
  body: string,
  now = Date.now(),
): AttemptOutcome {
  if (status >= 200 && status < 300) return { kind: 'sent', retryAfterMs: null, error: null };
  const said = body.trim().replace(/\s+/g, ' ').slice(0, MAX_BODY_IN_ERROR);
  const error = storableText(`HTTP ${status}${said ? `: ${said}` : ''}`);
  if (status === 408 || status === 429 || status >= 500)
    return { kind: 'retry', retryAfterMs: parseRetryAfter(retryAfter, now), error };
  if (status >= 300 && status < 400)
    return { kind: 'dead', retryAfterMs: null, error: `HTTP ${status}: redirects are not followed` };
  return { kind: 'dead', retryAfterMs: null, error };
}
