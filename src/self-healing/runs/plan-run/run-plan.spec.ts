import { describe, expect, it } from '@jest/globals';
import { loadPlaybookCatalog, parsePlaybookCatalog } from '../../recovery/playbook-catalog.js';
import { planSteps } from './run-plan.js';

const catalog = loadPlaybookCatalog();
const ops = new Set(['ops']);

/** A playbook whose step `fix` runs only `when`: diagnose, then fix, a check, and a rollback step. */
function planWith(when: string) {
  const webhook = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    kind: 'webhook',
    instruction: `Do ${id}`,
    actuator: 'ops',
    params: { action: id },
    ...extra,
  });
  const playbook = parsePlaybookCatalog({
    fallbackPlaybookId: 'branching',
    playbooks: [
      {
        id: 'branching',
        name: 'Branching',
        description: 'Diagnose, then fix when asked',
        steps: [webhook('diagnose'), webhook('fix', { when })],
        verify: [{ ...webhook('check_fixed'), kind: 'check', condition: 'response.status == 200' }],
        rollback: [webhook('undo')],
        match: { errorTypes: [], keywords: [] },
        policy: { category: 'custom', action: 'escalate' },
        baseConfidence: 0.5,
      },
    ],
  }).get('branching')!;
  return planSteps(playbook, {}, { actuators: ops, automatic: false });
}
const whenOf = (when: string) => planWith(when).steps.find((s) => s.id === 'fix')!.when;

describe('the plan of a run (dry run)', () => {
  it('fills the parameters, names the actuators, and lists the calls in the order the run makes them', () => {
    const plan = planSteps(
      catalog.get('memory_cleanup')!,
      { reduceBatchFactor: 0.25, restartWorker: true },
      { actuators: ops, automatic: false },
    );
    expect(plan.steps.map((s) => [s.id, s.list, s.runsAs, s.actuatorConfigured])).toEqual([
      ['clear_cache', 'steps', 'webhook', true],
      ['reduce_batch', 'steps', 'webhook', true],
      ['restart_worker', 'steps', 'webhook', true],
      ['memory_ok', 'verify', 'check', true],
      ['restore_batch', 'rollback', 'webhook', true],
    ]);
    expect(plan.steps[1]!.params).toMatchObject({ action: 'reduce_batch', factor: 0.25 });
    expect(plan.calls.map((c) => [c.stepId, c.params.action, c.onlyIf])).toEqual([
      ['clear_cache', 'clear_cache', null],
      ['reduce_batch', 'reduce_batch', null],
      ['restart_worker', 'restart_worker', null],
      ['memory_ok', 'memory_check', null],
      ['restore_batch', 'restore_batch', 'the run fails or is canceled'],
    ]);
    // A person's run pauses on a failed step; an automatic one rolls back.
    expect(plan.onFailure).toBe('pause');
    expect(planSteps(catalog.get('memory_cleanup')!, {}, { actuators: ops, automatic: true }).onFailure).toBe(
      'rollback',
    );
  });

  it("without its actuator a step is a person's: it runs as manual and makes no call", () => {
    const plan = planSteps(catalog.get('memory_cleanup')!, {}, { actuators: new Set(), automatic: false });
    expect(plan.steps.every((s) => s.runsAs === 'manual' && s.actuatorConfigured === false)).toBe(true);
    expect(plan.calls).toEqual([]);
  });

  it('a condition on an earlier answer is left to the run; a wait has its duration; an escalation notifies the coding agent when there is one', () => {
    const plan = planSteps(
      catalog.get('pipeline_timeout_fix')!,
      { stageTimeoutMs: 900_000 },
      { actuators: new Set(['ops', 'coding-agent']), automatic: false },
    );
    const fix = plan.steps.find((s) => s.id === 'fix_code')!;
    expect(fix.when).toEqual({
      expression: 'steps.diagnose.output.body.cause == "code"',
      result: 'unknown',
      reason: 'decided when the run gets there: it reads what step diagnose answers',
    });
    expect(plan.calls.find((c) => c.stepId === 'fix_code')).toMatchObject({
      purpose: 'notify',
      actuator: 'coding-agent',
      onlyIf: 'steps.diagnose.output.body.cause == "code"',
    });
    expect(plan.calls.find((c) => c.stepId === 'extend_stage_timeout')!.params).toMatchObject({
      action: 'extend_timeout',
      timeoutMs: 900_000,
    });
    const back = planSteps(
      catalog.get('backoff_and_route_away')!,
      { backoffMs: 1500 },
      { actuators: ops, automatic: false },
    );
    expect(back.steps.find((s) => s.kind === 'wait')!.durationMs).toBe(1500);
  });

  it('decides a condition that reads nothing earlier', () => {
    expect(whenOf('1 == 2')).toMatchObject({ result: 'skipped' });
    expect(whenOf('true')).toMatchObject({ result: 'runs' });
    expect(whenOf('steps.a.status == "succeeded" && steps["b"].output.body.ok')).toMatchObject({
      result: 'unknown',
      reason: 'decided when the run gets there: it reads what steps a, b answer',
    });
    // Decided without the answers it reads: each such read fails, and false && … is false all the same.
    expect(whenOf('false && steps.diagnose.status == "succeeded"')).toMatchObject({ result: 'skipped' });
  });

  it('binds every step of the run, as the engine does: which steps the run has is known, what they answer is not', () => {
    // The engine binds every step of the run, pending ones included: has(steps.diagnose) is true
    // there whatever diagnose answers, so the step runs and its call is in the plan.
    const plan = planWith('has(steps.diagnose)');
    expect(plan.steps.find((s) => s.id === 'fix')!.when).toEqual({
      expression: 'has(steps.diagnose)',
      result: 'runs',
      reason: 'it is true whatever earlier steps answer',
    });
    expect(plan.calls.map((c) => [c.stepId, c.onlyIf])).toEqual([
      ['diagnose', null],
      ['fix', null],
      ['check_fixed', null],
      ['undo', 'the run fails or is canceled'],
    ]);
    expect(whenOf('"diagnose" in steps')).toMatchObject({ result: 'runs' });
    expect(whenOf('!("diagnose" in steps)')).toMatchObject({ result: 'skipped' });
    // The steps of every list, this one's included; a step the playbook does not have is not there.
    expect(whenOf('has(steps.undo) && has(steps.check_fixed) && has(steps.fix)')).toMatchObject({ result: 'runs' });
    expect(whenOf('has(steps.nothing_like_it)')).toMatchObject({ result: 'skipped' });
    expect(whenOf('size(steps) == 4')).toMatchObject({ result: 'runs' });
    expect(whenOf('steps.exists(id, id == "diagnose")')).toMatchObject({ result: 'runs' });
    // What a step answers stays unknown, however it is reached.
    expect(whenOf('has(steps.diagnose.output)')).toMatchObject({ result: 'unknown' });
    expect(whenOf('steps.diagnose.status == "succeeded"')).toMatchObject({ result: 'unknown' });
    expect(whenOf('!has(steps.diagnose) || steps.diagnose.status == "succeeded"')).toMatchObject({
      result: 'unknown',
    });
    expect(whenOf('steps.all(id, steps[id].status != "failed")')).toMatchObject({ result: 'unknown' });
    expect(whenOf('steps.all(id, s, s.status != "failed")')).toMatchObject({ result: 'unknown' });
    expect(planWith('steps.diagnose.status == "succeeded"').calls.find((c) => c.stepId === 'fix')!.onlyIf).toBe(
      'steps.diagnose.status == "succeeded"',
    );
  });

  it('a canary step: one apply per candidate, then promote the best or restore', () => {
    const plan = planSteps(catalog.get('tune_config')!, {}, { actuators: ops, automatic: true });
    const canary = plan.steps.find((s) => s.kind === 'canary')!;
    expect(canary.canary).toMatchObject({
      onNoCandidate: 'escalate',
      restoreWithinMs: 15_000,
      candidates: expect.arrayContaining([{ timeoutMs: 2000, concurrency: 4, cacheMb: 256 }]),
    });
    const calls = plan.calls.filter((c) => c.stepId === 'tune_on_canary');
    expect(calls.map((c) => c.purpose)).toEqual([
      'apply',
      'apply',
      'apply',
      'apply',
      'apply',
      'apply',
      'promote',
      'restore',
    ]);
    expect(calls[0]).toMatchObject({
      params: { action: 'canary_apply' },
      candidate: { timeoutMs: 2000, concurrency: 4, cacheMb: 256 },
      onlyIf: null,
    });
    expect(calls[1]!.onlyIf).toBe("the step's budget of 300000 ms is not spent");
    expect(calls.at(-1)).toMatchObject({ params: { action: 'canary_restore' }, onlyIf: 'no candidate passes' });
  });
});
