import { describe, expect, it } from '@jest/globals';
import { skipRefusal, type StepListName } from './run.view.js';

const run = (over: { pattern_id?: string | null; await_resolution?: boolean } = {}) => ({
  id: 'r1',
  pattern_id: 'p1',
  await_resolution: false,
  ...over,
});
const step = (list: StepListName, step_id = `${list}_step`) => ({ list, step_id });
const withCheck = [step('steps', 'clear_cache'), step('verify', 'memory_ok'), step('rollback', 'restore_batch')];
const noCheck = [step('steps', 'clear_cache'), step('rollback', 'restore_batch')];

describe('which failed step an operator may skip (ADR 0014)', () => {
  it('never a failed verification check: it is the fix’s own evidence; retry and roll back stay open', () => {
    const refused = skipRefusal(run(), withCheck, step('verify', 'memory_ok'));
    expect(refused).toMatch(/^a failed verification check cannot be skipped: /);
    expect(refused).toContain('POST /runs/r1/steps/memory_ok/retry');
    expect(refused).toContain('POST /runs/r1/rollback');
    // Not even with a watch to come.
    expect(skipRefusal(run({ await_resolution: true }), withCheck, step('verify', 'memory_ok'))).not.toBeNull();
  });

  it('a failed step of the steps, when a check or a watch still judges the fix after it', () => {
    expect(skipRefusal(run(), withCheck, step('steps', 'clear_cache'))).toBeNull();
    expect(skipRefusal(run({ pattern_id: null }), withCheck, step('steps', 'clear_cache'))).toBeNull();
    expect(skipRefusal(run(), noCheck, step('steps', 'clear_cache'))).toBeNull();
    expect(skipRefusal(run({ pattern_id: null, await_resolution: true }), noCheck, step('steps'))).toBeNull();
  });

  it('not a step of a run that nothing after it would judge: no check, no pattern, no alert to watch', () => {
    expect(skipRefusal(run({ pattern_id: null }), noCheck, step('steps', 'clear_cache'))).toMatch(
      /^step clear_cache cannot be skipped: the run has no verification check and nothing to watch for/,
    );
  });
});
