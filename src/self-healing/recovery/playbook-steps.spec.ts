import { describe, expect, it } from '@jest/globals';
import { loadPlaybookCatalog, parsePlaybookCatalog } from './playbook-catalog.js';
import { DEFAULT_STEP_TIMEOUT_MS, resolveStepParams, resolveWaitMs } from './playbook-steps.js';

const playbook = (over: Record<string, unknown> = {}) => ({
  id: 'investigate',
  name: 'Investigate',
  description: 'Look into it',
  steps: [{ id: 'look', kind: 'manual', instruction: 'Look' }],
  defaultParams: { delayMs: 50, level: 'high' },
  match: { errorTypes: [], keywords: [] },
  policy: { category: 'custom', action: 'escalate' },
  baseConfidence: 0.5,
  ...over,
});
const withSteps = (steps: unknown[], extra: Record<string, unknown> = {}) => ({
  playbooks: [playbook({ id: 'investigate', steps, ...extra })],
});

describe('shipped playbooks have executable steps', () => {
  const catalog = loadPlaybookCatalog();

  it.each([
    'data_fix',
    'memory_cleanup',
    'reconnect',
    'retry_with_backoff',
    'backoff_and_route_away',
    'pipeline_timeout_fix',
    'code_patch',
    'verification_fix',
    'database_reconnect',
    'investigate',
  ])('%s has steps, and its webhook and check steps call the actuator "ops"', (id) => {
    const p = catalog.get(id)!;
    expect(p.steps.length).toBeGreaterThan(0);
    const all = [...p.steps, ...p.verify, ...p.rollback];
    for (const s of all.filter((x) => x.kind === 'webhook' || x.kind === 'check')) expect(s.actuator).toBe('ops');
    for (const s of all.filter((x) => x.kind === 'check')) expect(s.condition).toMatch(/response\./);
    for (const s of all) expect(s.timeoutMs).toBeGreaterThan(0);
  });

  it('every fixing playbook verifies and can roll back; the hybrid one checks for a code cause', () => {
    for (const id of [
      'data_fix',
      'memory_cleanup',
      'reconnect',
      'retry_with_backoff',
      'backoff_and_route_away',
      'pipeline_timeout_fix',
      'database_reconnect',
      'verification_fix',
    ]) {
      expect(catalog.get(id)!.verify.length).toBeGreaterThan(0);
      expect(catalog.get(id)!.rollback.length).toBeGreaterThan(0);
    }
    expect(catalog.get('pipeline_timeout_fix')!.steps.map((s) => s.kind)).toEqual([
      'check',
      'webhook',
      'webhook',
      'escalate',
    ]);
    expect(catalog.get('code_patch')!.steps.map((s) => s.kind)).toContain('escalate');
    expect(catalog.choose('PipelineTimeoutError', 'pipeline timed out in stage build').playbook.id).toBe(
      'pipeline_timeout_fix',
    );
    // The seed's /patches/trigger checks.
    expect(
      catalog.choose('database_connection', 'could not connect to server: connection pool exhausted').playbook.id,
    ).toBe('database_reconnect');
    expect(catalog.choose('verification_failed', 'output failed verification: 3 tests failed').playbook.id).toBe(
      'verification_fix',
    );
    expect(catalog.choose('pipeline_timeout', 'stage build timed out').playbook.id).toBe('pipeline_timeout_fix');
    expect(catalog.get('verification_fix')!.steps[0]!.kind).toBe('escalate');
    expect(
      catalog
        .get('pipeline_timeout_fix')!
        .steps.filter((s) => s.when)
        .map((s) => s.id),
    ).toEqual(['extend_stage_timeout', 'rerun_stage', 'fix_code']);
  });

  it('a step may carry a `when` condition, checked as CEL at load', () => {
    const ok = parsePlaybookCatalog(
      withSteps([{ id: 'a', kind: 'manual', instruction: 'x', when: 'steps.b.status == "succeeded"' }]),
    );
    expect(ok.get('investigate')!.steps[0]!.when).toBe('steps.b.status == "succeeded"');
    expect(() =>
      parsePlaybookCatalog(withSteps([{ id: 'a', kind: 'manual', instruction: 'x', when: 'steps.(' }])),
    ).toThrow(/steps\[0\]\.when" is not valid CEL/);
    expect(() => parsePlaybookCatalog(withSteps([{ id: 'a', kind: 'manual', instruction: 'x', when: 7 }]))).toThrow(
      /steps\[0\]\.when" must be a CEL expression/,
    );
  });

  it('a wait step takes its duration from the recovery parameters', () => {
    const back = catalog.get('backoff_and_route_away')!.steps.find((s) => s.kind === 'wait')!;
    expect(resolveWaitMs(back, { backoffMs: 1200 })).toBe(1200);
    expect(resolveWaitMs(back, {})).toBe(0);
  });
});

describe('step validation names the bad entry', () => {
  it('defaults: webhook steps call "ops", 30 s timeout, 3 attempts', () => {
    const c = parsePlaybookCatalog(withSteps([{ id: 'poke', kind: 'webhook', instruction: 'Poke it' }]));
    expect(c.fallback.steps[0]).toMatchObject({
      actuator: 'ops',
      timeoutMs: DEFAULT_STEP_TIMEOUT_MS,
      attempts: 3,
      params: {},
    });
    expect(c.fallback.verify).toEqual([]);
    expect(c.fallback.rollback).toEqual([]);
  });

  it('accepts escalate in the schema (the run engine refuses it until work orders exist)', () => {
    const c = parsePlaybookCatalog(withSteps([{ id: 'patch', kind: 'escalate', instruction: 'Patch it' }]));
    expect(c.fallback.steps[0]!.kind).toBe('escalate');
  });

  it.each([
    [
      'unknown kind',
      withSteps([{ id: 'a', kind: 'teleport', instruction: 'x' }]),
      /playbook "investigate" \(index 0\): field "steps\[0\]\.kind" must be one of webhook, manual, wait, check, escalate, canary \(got "teleport"\)/,
    ],
    [
      'bad actuator reference',
      withSteps([{ id: 'a', kind: 'webhook', instruction: 'x', actuator: 'http://ops' }]),
      /field "steps\[0\]\.actuator" must be an actuator name/,
    ],
    [
      'actuator on a manual step',
      withSteps([{ id: 'a', kind: 'manual', instruction: 'x', actuator: 'ops' }]),
      /"steps\[0\]\.actuator" is only for webhook, check and canary steps/,
    ],
    ['missing instruction', withSteps([{ id: 'a', kind: 'manual' }]), /"steps\[0\]\.instruction"/],
    [
      'duplicate step id',
      withSteps([{ id: 'a', kind: 'manual', instruction: 'x' }], {
        rollback: [{ id: 'a', kind: 'manual', instruction: 'y' }],
      }),
      /"rollback\[0\]\.id" "a" is used twice/,
    ],
    [
      'unknown parameter',
      withSteps([{ id: 'a', kind: 'webhook', instruction: 'x', params: { n: '{{nope}}' } }]),
      /"steps\[0\]\.params\.n" references unknown parameter "nope"/,
    ],
    ['wait without duration', withSteps([{ id: 'a', kind: 'wait', instruction: 'x' }]), /"steps\[0\]\.durationMs"/],
    [
      'check without condition',
      withSteps([{ id: 'a', kind: 'check', instruction: 'x' }]),
      /"steps\[0\]\.condition" must be a CEL expression/,
    ],
    [
      'check with bad CEL',
      withSteps([{ id: 'a', kind: 'check', instruction: 'x', condition: 'response.status ==' }]),
      /"steps\[0\]\.condition" is not valid CEL/,
    ],
    [
      'bad timeout',
      withSteps([{ id: 'a', kind: 'webhook', instruction: 'x', timeoutMs: 0 }]),
      /"steps\[0\]\.timeoutMs"/,
    ],
    [
      'verify not a list',
      withSteps([{ id: 'a', kind: 'manual', instruction: 'x' }], { verify: {} }),
      /field "verify" must be an array/,
    ],
    ['steps of plain strings', withSteps(['look']), /"steps\[0\]" must be an object/],
    ['empty steps', withSteps([]), /field "steps" must be a non-empty array/],
  ])('rejects %s', (_what, data, message) => {
    expect(() => parsePlaybookCatalog(data)).toThrow(message);
  });

  it('fills "{{param}}" values from the recovery parameters and keeps other values', () => {
    const c = parsePlaybookCatalog(
      withSteps([
        {
          id: 'a',
          kind: 'webhook',
          instruction: 'x',
          params: { delay: '{{delayMs}}', level: '{{level}}', fixed: 'raw', n: 2 },
        },
      ]),
    );
    expect(resolveStepParams(c.fallback.steps[0]!, { delayMs: 75, level: 'low' })).toEqual({
      delay: 75,
      level: 'low',
      fixed: 'raw',
      n: 2,
    });
  });
});
