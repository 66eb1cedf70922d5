import { describe, expect, it } from '@jest/globals';
import { REDACTED, secretRedactor } from '../../../platform/egress/redact-secrets.js';
import { classifyAnswer } from './actuator-answer.js';

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

  it("takes a failed answer's own error as the step's error", () => {
    expect(classifyAnswer(200, null, '{"status":"failed","error":"factor 0.5 starves the consumers"}').error).toBe(
      'factor 0.5 starves the consumers',
    );
    expect(classifyAnswer(200, null, '{"status":"failed","error":42}').error).toBe(
      'the actuator answered {"status":"failed"}',
    );
  });

  it("cuts a failed answer's error to length after the secrets are cut from it, so no part of one is left", () => {
    // `\/` (PHP's json_encode) hides the key from the text; parsed, it is whole, and the cut at 1000 characters splits it.
    const key = 'ak/9f3c2e7d1b/0a';
    const said = `${'x'.repeat(990)} key=${key}`;
    const text = JSON.stringify({ status: 'failed', error: said }).replaceAll('/', '\\/');
    const answered = classifyAnswer(200, null, text, secretRedactor([key]));
    expect(answered.error).toBe(`${'x'.repeat(990)} key=${REDACTED}`.slice(0, 1000));
    expect(answered.body).toEqual({ status: 'failed', error: `${'x'.repeat(990)} key=${REDACTED}` });
  });

  it('passes Retry-After on a retryable answer', () => {
    expect(classifyAnswer(429, '2', '', undefined, Date.parse('2026-01-01T00:00:00Z')).retryAfterMs).toBe(2000);
  });

  it('makes every answer storable (platform/database/storable)', () => {
    expect(
      classifyAnswer(200, null, '{"a\\u0000":"x\\u0000y","b":["\\ud800","\\udc00z","\\ud83d\\ude00"]}').body,
    ).toEqual({ 'a\ufffd': 'x\ufffdy', b: ['\ufffd', '\ufffdz', '😀'] });
    expect(classifyAnswer(200, null, 'plain\u0000text').body).toBe('plain\ufffdtext');
  });
});
