import { describe, expect, it } from '@jest/globals';
import { classifyAnswer, MAX_STORED_DEPTH, parseRetryAfter, retryDelayMs, storable } from './actuator-answer.js';

describe('classifying an actuator answer (DESIGN §8)', () => {
  it.each([
    [200, '{"ok":true}', 'succeeded'],
    [204, '', 'succeeded'],
    [200, '{"status":"failed"}', 'failed'],
    [202, '', 'accepted'],
    [408, '', 'retryable'],
    [429, '', 'retryable'],
    [500, 'oops', 'retryable'],
    [503, '', 'retryable'],
    [302, '', 'failed'],
    [400, '{}', 'failed'],
    [404, '', 'failed'],
  ])('HTTP %i %s → %s', (status, body, outcome) => {
    expect(classifyAnswer(status, null, body).outcome).toBe(outcome);
  });

  it('keeps garbage bodies as text and says why a redirect failed', () => {
    expect(classifyAnswer(200, null, '<html>').body).toBe('<html>');
    expect(classifyAnswer(301, null, '').error).toMatch(/redirects are not followed/);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(classifyAnswer(429, '2', '', now).retryAfterMs).toBe(2000);
  });

  it('backs off exponentially with jitter, never below Retry-After', () => {
    expect(retryDelayMs(1, null, 100, 10_000, () => 0)).toBe(50);
    expect(retryDelayMs(1, null, 100, 10_000, () => 1)).toBe(100);
    expect(retryDelayMs(4, null, 100, 10_000, () => 1)).toBe(800);
    expect(retryDelayMs(20, null, 100, 10_000, () => 1)).toBe(10_000);
    expect(retryDelayMs(1, 3000, 100, 10_000, () => 1)).toBe(3000);
  });

  it('makes every answer storable: U+0000 and lone surrogates become U+FFFD, in values and keys; pairs stay; deep nesting is cut', () => {
    expect(classifyAnswer(200, null, '{"a\\u0000":"x\\u0000y","b":["\\ud800","\\udc00z","\\ud83d\\ude00"]}').body).toEqual({ 'a\ufffd': 'x\ufffdy', b: ['\ufffd', '\ufffdz', '😀'] });
    expect(classifyAnswer(200, null, 'plain\u0000text').body).toBe('plain\ufffdtext');
    const deep = JSON.parse('['.repeat(5000) + ']'.repeat(5000));
    const cut = storable(deep);
    let depth = 0;
    for (let v: unknown = cut; Array.isArray(v); v = v[0]) depth++;
    expect(depth).toBe(MAX_STORED_DEPTH);
    expect(() => JSON.stringify(cut)).not.toThrow();
    expect(storable({ n: 1, t: true, z: null })).toEqual({ n: 1, t: true, z: null });
  });
});
