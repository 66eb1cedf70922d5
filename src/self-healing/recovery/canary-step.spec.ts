import { describe, expect, it } from '@jest/globals';
import { parsePlaybookCatalog } from './playbook-catalog.js';
import { resolveCanary } from './playbook-steps.js';

const canary = (over: Record<string, unknown> = {}) => ({
  id: 'tune',
  kind: 'canary',
  instruction: 'Try timeouts on the canary and promote the best',
  candidates: { param: 'timeoutMs', values: [1000, 2000, 4000] },
  apply: { action: 'canary_apply' },
  check: 'response.body.p95_ms < 250.0 && response.body.error_rate < 0.01',
  score: '-response.body.p95_ms',
  promote: { action: 'promote_config' },
  restore: { action: 'canary_restore' },
  ...over,
});
const catalogWith = (step: Record<string, unknown>, defaultParams: Record<string, unknown> = { service: 'search' }) =>
  parsePlaybookCatalog({
    playbooks: [
      {
        id: 'investigate',
        name: 'Investigate',
        description: 'Tune it',
        steps: [step],
        defaultParams,
        match: { errorTypes: [], keywords: [] },
        policy: { category: 'custom', action: 'escalate' },
        baseConfidence: 0.5,
      },
    ],
  });
const stepOf = (step: Record<string, unknown>) => catalogWith(step).get('investigate')!.steps[0]!;

describe('a canary step in a playbook', () => {
  it('expands values and ranges into candidates, with seed 004 defaults for what it leaves out', () => {
    const s = stepOf(canary());
    expect(s.actuator).toBe('ops');
    expect(s.timeoutMs).toBe(30_000); // per candidate
    expect(s.canary).toMatchObject({
      candidates: [{ timeoutMs: 1000 }, { timeoutMs: 2000 }, { timeoutMs: 4000 }],
      restoreWithinMs: 15_000,
      onNoCandidate: 'fail',
      budgetMs: null,
    });
    expect(
      stepOf(canary({ candidates: { param: 'ratio', range: { from: 0.1, to: 0.5, step: 0.1 } } })).canary!.candidates,
    ).toEqual([{ ratio: 0.1 }, { ratio: 0.2 }, { ratio: 0.3 }, { ratio: 0.4 }, { ratio: 0.5 }]);
    const listed = stepOf(
      canary({
        candidates: [
          { concurrency: 4, cacheMb: 256 },
          { concurrency: 8, cacheMb: 512 },
        ],
        onNoCandidate: 'escalate',
        budgetMs: 60_000,
      }),
    );
    expect(listed.canary).toMatchObject({
      candidates: [
        { concurrency: 4, cacheMb: 256 },
        { concurrency: 8, cacheMb: 512 },
      ],
      onNoCandidate: 'escalate',
      budgetMs: 60_000,
    });
  });

  it('expands a range to the values its from and step write, with no drift near zero and no -0', () => {
    const range = (from: number, to: number, step: number) =>
      stepOf(
        canary({ maxCandidates: 20, candidates: { param: 'x', range: { from, to, step } } }),
      ).canary!.candidates.map((c) => c.x as number);
    // -0.3 + 3 × 0.1 is 5.55e-17 in floating point: the candidate is 0.
    expect(range(-0.3, 0.3, 0.1)).toEqual([-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3]);
    expect(range(0.1, 0.3, 0.1)).toEqual([0.1, 0.2, 0.3]);
    expect(range(0, 0.5, 0.25)).toEqual([0, 0.25, 0.5]);
    expect(range(1, 5, 2)).toEqual([1, 3, 5]);
    expect(range(-4, 4, 2)).toEqual([-4, -2, 0, 2, 4]);
    expect(range(1000, 5000, 1000)).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(range(0, 3e-7, 1e-7)).toEqual([0, 1e-7, 2e-7, 3e-7]);
    // -0.9 + 3 × 0.3 is -1.1e-16: rounded, it must be 0, not -0 (toEqual tells them apart).
    const signed = range(-0.9, 0.9, 0.3);
    expect(signed).toEqual([-0.9, -0.6, -0.3, 0, 0.3, 0.6, 0.9]);
    expect(Object.is(signed[3], 0)).toBe(true);
    // A step no decimals write keeps the 12 significant digits it always had.
    expect(range(0, 1, 1 / 3)).toEqual([0, 0.333333333333, 0.666666666667, 1]);
  });

  it('refuses more candidates than maxCandidates (default 6), duplicates, and bad generators, naming the field', () => {
    expect(() => stepOf(canary({ candidates: { param: 'n', range: { from: 1, to: 7, step: 1 } } }))).toThrow(
      /steps\[0\]\.candidates" expands to 7 candidates, more than maxCandidates \(6\)/,
    );
    expect(
      stepOf(canary({ maxCandidates: 8, candidates: { param: 'n', range: { from: 1, to: 7, step: 1 } } })).canary!
        .candidates,
    ).toHaveLength(7);
    expect(() => stepOf(canary({ maxCandidates: 2 }))).toThrow(
      /expands to 3 candidates, more than maxCandidates \(2\)/,
    );
    expect(() => stepOf(canary({ candidates: [{ a: 1 }, { a: 1 }] }))).toThrow(/candidate 1 repeats candidate 0/);
    expect(() => stepOf(canary({ candidates: [] }))).toThrow(/candidates" must list at least one candidate/);
    expect(() => stepOf(canary({ candidates: { param: 'n', range: { from: 5, to: 1, step: 1 } } }))).toThrow(
      /candidates\.range" must be/,
    );
    expect(() =>
      stepOf(canary({ candidates: { param: 'n', values: [1], range: { from: 1, to: 2, step: 1 } } })),
    ).toThrow(/takes values or range, not both/);
    expect(() => stepOf(canary({ candidates: { param: 'not a name', values: [1] } }))).toThrow(
      /candidates\.param" must be a parameter name/,
    );
  });

  it('needs its actions, a CEL check and score, and known parameters', () => {
    expect(() => stepOf(canary({ apply: undefined }))).toThrow(/steps\[0\]\.apply" must be an object/);
    expect(() => stepOf(canary({ promote: { target: 'prod' } }))).toThrow(
      /steps\[0\]\.promote\.action" must name the actuator action/,
    );
    expect(() => stepOf(canary({ check: 'response.body.(' }))).toThrow(/steps\[0\]\.check" is not valid CEL/);
    expect(() => stepOf(canary({ score: '' }))).toThrow(/steps\[0\]\.score" must be a CEL expression/);
    expect(() => stepOf(canary({ onNoCandidate: 'shrug' }))).toThrow(/onNoCandidate" must be one of fail, escalate/);
    expect(() => stepOf(canary({ restoreWithinMs: 0 }))).toThrow(/restoreWithinMs" must be an integer/);
    expect(() => stepOf(canary({ apply: { action: 'canary_apply', service: '{{nope}}' } }))).toThrow(
      /apply\.service" references unknown parameter "nope"/,
    );
  });

  it('only a canary step carries canary fields', () => {
    expect(() => stepOf({ id: 'x', kind: 'webhook', instruction: 'x', candidates: [{ a: 1 }] })).toThrow(
      /steps\[0\]\.candidates" is only for canary steps, not webhook/,
    );
  });

  it('fills {{param}} values of its candidates and actions when a run starts', () => {
    const s = stepOf(
      canary({
        candidates: [{ service: '{{service}}', timeoutMs: 500 }],
        apply: { action: 'canary_apply', service: '{{service}}' },
      }),
    );
    const resolved = resolveCanary(s.canary!, { service: 'search' });
    expect(resolved.candidates).toEqual([{ service: 'search', timeoutMs: 500 }]);
    expect(resolved.apply).toEqual({ action: 'canary_apply', service: 'search' });
  });

  it('a playbook may say what a failed step does', () => {
    const base = {
      id: 'p',
      name: 'P',
      description: 'd',
      steps: [{ id: 'a', kind: 'manual', instruction: 'x' }],
      match: { errorTypes: [], keywords: [] },
      policy: { category: 'custom', action: 'escalate' },
      baseConfidence: 0.5,
    };
    expect(
      parsePlaybookCatalog({ fallbackPlaybookId: 'p', playbooks: [{ ...base, onFailure: 'pause' }] }).get('p')!
        .onFailure,
    ).toBe('pause');
    expect(parsePlaybookCatalog({ fallbackPlaybookId: 'p', playbooks: [base] }).get('p')!.onFailure).toBeNull();
    expect(() =>
      parsePlaybookCatalog({ fallbackPlaybookId: 'p', playbooks: [{ ...base, onFailure: 'retry' }] }),
    ).toThrow(/field "onFailure" must be one of pause, rollback/);
  });
});
