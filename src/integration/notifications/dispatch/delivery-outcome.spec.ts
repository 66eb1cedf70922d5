import { describe, expect, it } from '@jest/globals';
import { attemptOutcome } from './delivery-outcome.js';

describe("a channel's answer to a delivery attempt", () => {
  it.each([
    [200, 'ok', 'sent'],
    [204, '', 'sent'],
    [408, '', 'retry'],
    [429, 'rate_limited', 'retry'],
    [500, 'oops', 'retry'],
    [503, '', 'retry'],
    [301, '', 'dead'],
    [400, 'invalid_payload', 'dead'],
    [404, 'no_service', 'dead'],
    [410, 'channel_is_archived', 'dead'],
  ])('HTTP %i %s → %s', (status, body, kind) => {
    expect(attemptOutcome(status, null, body).kind).toBe(kind);
  });

  it("keeps Slack's error word and Retry-After", () => {
    expect(attemptOutcome(404, null, 'no_service').error).toBe('HTTP 404: no_service');
    expect(attemptOutcome(429, '3', 'rate_limited')).toEqual({
      kind: 'retry',
      retryAfterMs: 3000,
      error: 'HTTP 429: rate_limited',
    });
    expect(attemptOutcome(400, null, 'x'.repeat(1000)).error!.length).toBeLessThan(220);
  });
});
