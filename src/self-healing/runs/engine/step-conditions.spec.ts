import { describe, expect, it } from '@jest/globals';
import { checkBindings, checkFailure, evaluate } from './step-conditions.js';

describe('playbook conditions', () => {
  it('reads a check response: status as an int, the body as JSON', () => {
    expect(
      evaluate('response.status == 200 && response.body.healthy == true', checkBindings(200, { healthy: true })),
    ).toEqual({ value: true });
    expect(
      evaluate('response.status == 200 && response.body.healthy == true', checkBindings(200, { healthy: false })),
    ).toEqual({ value: false });
    expect(evaluate('response.body.latencyMs < 250', checkBindings(200, { latencyMs: 120 }))).toEqual({ value: true });
  });

  it('says why when it cannot decide', () => {
    expect(evaluate('response.body.healthy == true', checkBindings(200, 'not json'))).toHaveProperty('error');
    expect(evaluate('response.status', checkBindings(200, null))).toEqual({
      error: 'the expression gave bigint, not a bool',
    });
  });

  it('a check fails with its reason, or passes', () => {
    expect(checkFailure('response.body.healthy == true', 200, { healthy: true })).toBeNull();
    expect(checkFailure('response.body.healthy == true', 200, { healthy: false })).toBe(
      'check failed: response.body.healthy == true is false',
    );
    expect(checkFailure('response.body.healthy == true', 200, 'garbage')).toMatch(/^check failed: /);
  });

  it('branches on an earlier step: when over steps', () => {
    const steps = { diagnose: { status: 'succeeded', output: { status: 200, body: { cause: 'code' } } } };
    expect(evaluate('steps.diagnose.output.body.cause == "code"', { steps })).toEqual({ value: true });
    expect(evaluate('steps.diagnose.output.body.cause != "code"', { steps })).toEqual({ value: false });
  });
});
