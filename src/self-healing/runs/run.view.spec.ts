import { describe, expect, it } from '@jest/globals';
import { skipRefusal, skipRefusalReason, type StepListName, type StepStatus } from './run.view.js';

const run = (over: { pattern_id?: string | null; await_resolution?: boolean } = {}) => ({
  id: 'r1',
  pattern_id: 'p1',
  await_resolution: false,
  ...over,
});
const step = (
  list: StepListName,
  step_id = `${list}_step`,
  over: { status?: string; run_if?: string | null; output?: unknown } = {},
) =>
  ({
    list,
    step_id,
    status: 'pending' as StepStatus,
    output: null as unknown,
    run_if: null as string | null,
    ...over,
  }) as { list: StepListName; step_id: string; status: StepStatus; output: unknown; run_if: string | null };
const withCheck = [step('steps', 'clear_cache'), step('verify', 'memory_ok'), step('rollback', 'restore_batch')];
const noCheck = [step('steps', 'clear_cache'), step('rollback', 'restore_batch')];

describe('which failed step an operator may skip (ADR 0014)', () => {
  it('never a failed verification check: it is the fix’s own evidence; retry and roll back stay open', () => {
    const refused = skipRefusal(run(), withCheck, step('verify', 'memory_ok'));
    expect(refused).toMatch(/^a failed verification check cannot be skipped: /);
    expect(refused).toContain('POST /runs/r1/steps/memory_ok/retry');
    expect(refused).toContain('POST /runs/r1/rollback');
    // The same, for a person: no routes (the console shows it beside its Retry and Roll back buttons).
    const reason = skipRefusalReason(run(), withCheck, step('verify', 'memory_ok'));
    expect(refused).toBe(
      `${reason}; retry it (POST /runs/r1/steps/memory_ok/retry, parameters may be corrected) or roll the run back (POST /runs/r1/rollback)`,
    );
    expect(reason).not.toMatch(/POST|\/runs\//);
    // Not even with a watch to come.
    expect(skipRefusal(run({ await_resolution: true }), withCheck, step('verify', 'memory_ok'))).not.toBeNull();
  });

  it('a failed step of the steps, when a check or a watch still judges the fix after it', () => {
    expect(skipRefusal(run(), withCheck, step('steps', 'clear_cache'))).toBeNull();
    expect(skipRefusalReason(run(), withCheck, step('steps', 'clear_cache'))).toBeNull();
    expect(skipRefusal(run({ pattern_id: null }), withCheck, step('steps', 'clear_cache'))).toBeNull();
    expect(skipRefusal(run(), noCheck, step('steps', 'clear_cache'))).toBeNull();
    expect(skipRefusal(run({ pattern_id: null, await_resolution: true }), noCheck, step('steps'))).toBeNull();
  });

  it('not a step of a run that nothing after it would judge: no check, no pattern, no alert to watch', () => {
    expect(skipRefusal(run({ pattern_id: null }), noCheck, step('steps', 'clear_cache'))).toMatch(
      /^step clear_cache cannot be skipped: the run has no verification check and nothing to watch for/,
    );
  });

  describe('a check whose `when` would skip it judges nothing: decided from what is known at the skip', () => {
    const noWatch = run({ pattern_id: null });
    const failedAt = (checkWhen: string, before: { status?: string; output?: unknown } = { status: 'succeeded' }) => [
      step('steps', 'quarantine', before),
      step('steps', 'migrate', { status: 'failed' }),
      step('steps', 'validate'),
      step('verify', 'schema_valid', { run_if: checkWhen }),
      step('rollback', 'release'),
    ];
    const refusal = (checkWhen: string, before?: { status?: string; output?: unknown }) =>
      skipRefusal(noWatch, failedAt(checkWhen, before), step('steps', 'migrate'));

    it('a condition false once the step is skipped: refused, naming the check and its condition', () => {
      expect(refusal('steps.migrate.status == "succeeded"')).toMatch(
        /^step migrate cannot be skipped: the run has nothing to watch for \(no pattern, no alert\) and no verification check sure to run after it: check schema_valid would be skipped \(its condition steps\.migrate\.status == "succeeded" is false\); so nothing after it/,
      );
      expect(
        refusal('steps.quarantine.output.body.count > 0', { status: 'succeeded', output: { body: { count: 0 } } }),
      ).not.toBeNull();
      expect(refusal('!("migrate" in steps)')).not.toBeNull();
    });

    it('a condition true from the finished steps (or the skip itself): the check judges, the skip is allowed', () => {
      expect(refusal('steps.quarantine.status == "succeeded"')).toBeNull();
      expect(refusal('steps.migrate.status == "skipped"')).toBeNull();
      expect(
        refusal('steps.quarantine.output.body.count > 0', { status: 'succeeded', output: { body: { count: 3 } } }),
      ).toBeNull();
      expect(refusal('"validate" in steps')).toBeNull();
      // A later step's answer is not needed where the rest decides it.
      expect(refusal('steps.quarantine.status == "succeeded" || steps.validate.status == "succeeded"')).toBeNull();
    });

    it('a condition waiting for answers not known yet is not counted: refused (conservative), saying why', () => {
      expect(refusal('steps.validate.status == "succeeded"')).toMatch(
        /check schema_valid may be skipped \(its condition steps\.validate\.status == "succeeded" waits for answers not known yet\)/,
      );
      // Reading which steps there are and their answers together, or the map as a whole: not decided.
      expect(refusal('"quarantine" in steps && steps.quarantine.status == "succeeded"')).not.toBeNull();
      expect(refusal('size(steps) > 0 && steps.quarantine.status == "succeeded"')).not.toBeNull();
      // A watch judges whatever the checks' conditions say.
      expect(skipRefusal(run(), failedAt('steps.validate.status == "succeeded"'), step('steps', 'migrate'))).toBeNull();
    });
  });
});
