import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CelProgramCache, compileCondition, evaluateCondition } from '../cel.js';
import { buildCondition } from '../policy-generator.js';
import { PolicyEngine, type PolicySource } from './policy-engine.js';

let n = 0;
const policy = (over: Partial<PolicySource> = {}): PolicySource => ({
  id: `p${String(++n).padStart(3, '0')}`,
  tenantId: 't1',
  action: 'warn',
  scope: 'tenant',
  scopeAgentId: null,
  condition: 'true',
  status: 'active',
  ...over,
});

describe('PolicyEngine', () => {
  const engine = new PolicyEngine();

  it('decides by precedence: block > route_away > escalate > warn > allow', () => {
    const actions = ['warn', 'escalate', 'route_away', 'block'] as const;
    for (let k = 0; k <= actions.length; k++) {
      const index = engine.buildIndex(
        't1',
        actions.slice(0, k).map((action) => policy({ action })),
      );
      const result = engine.evaluate(index, { tenantId: 't1', agentId: 'a' });
      expect(result.decision).toBe(k === 0 ? 'allow' : actions[k - 1]);
      expect(result.matched.map((m) => m.action)).toEqual(actions.slice(0, k).reverse());
    }
  });

  it('reports drafts as shadow matches without enforcing them, and ignores disabled policies', () => {
    const draft = policy({ action: 'block', status: 'draft' });
    const warn = policy({ action: 'warn' });
    const disabled = policy({ action: 'block', status: 'disabled' });
    const index = engine.buildIndex('t1', [draft, warn, disabled]);
    expect(index.size).toBe(2);
    const result = engine.evaluate(index, { tenantId: 't1' });
    expect(result.decision).toBe('warn');
    expect(result.matched).toEqual([
      { policyId: warn.id, action: 'warn', status: 'active' },
      { policyId: draft.id, action: 'block', status: 'draft' },
    ]);
  });

  it('applies global policies of any tenant, its own tenant policies, and agent policies only to that agent', () => {
    const global = policy({ tenantId: 'platform', scope: 'global', action: 'escalate' });
    const foreign = policy({ tenantId: 't2', action: 'block' });
    const foreignAgent = policy({ tenantId: 't2', scope: 'agent', scopeAgentId: 'a', action: 'block' });
    const mine = policy({ scope: 'agent', scopeAgentId: 'a', action: 'route_away' });
    const index = engine.buildIndex('t1', [global, foreign, foreignAgent, mine]);
    expect(engine.evaluate(index, { tenantId: 't1', agentId: 'a' }).matched.map((m) => m.policyId)).toEqual([
      mine.id,
      global.id,
    ]);
    expect(engine.evaluate(index, { tenantId: 't1', agentId: 'b' }).matched.map((m) => m.policyId)).toEqual([
      global.id,
    ]);
    expect(engine.evaluate(index, { tenantId: 't1' }).decision).toBe('escalate');
  });

  it('skips a condition that errors and reports it, never throws', () => {
    const bad = policy({ action: 'block', condition: 'request.context.retries > 3' });
    const good = policy({ action: 'warn', condition: 'request.capability == "x"' });
    const index = engine.buildIndex('t1', [bad, good]);
    const result = engine.evaluate(index, { tenantId: 't1', capability: 'x', context: { retries: 'x' } });
    expect(result.decision).toBe('warn');
    expect(result.errors).toEqual([{ policyId: bad.id, error: expect.stringMatching(/overload|no such/) }]);
    const missing = engine.evaluate(index, { tenantId: 't1', capability: 'y', context: {} });
    expect(missing).toMatchObject({ decision: 'allow', matched: [] });
    expect(missing.errors.map((e) => e.policyId)).toEqual([bad.id]);
  });

  it('keeps a policy whose condition does not compile out of evaluation', () => {
    const index = engine.buildIndex('t1', [policy({ condition: 'request.agentId ==' })]);
    expect(index.invalid).toHaveLength(1);
    expect(engine.evaluate(index, { tenantId: 't1', agentId: 'a' })).toEqual({
      decision: 'allow',
      matched: [],
      errors: [],
    });
  });

  it('indexes generated tenant policies by the agents their conditions name', () => {
    const p = policy({ condition: buildCondition('t1', ['a', 'b'], ['summarise']) });
    const index = engine.buildIndex('t1', [p, policy({ condition: 'request.context.x == 1' })]);
    expect([...index.tenant.byGuardedAgent.keys()].sort()).toEqual(['a', 'b']);
    expect(index.tenant.anyAgent).toHaveLength(1);
    expect(
      engine.evaluate(index, { tenantId: 't1', agentId: 'b', capability: 'summarise', context: { x: 2 } }).matched,
    ).toEqual([{ policyId: p.id, action: 'warn', status: 'active' }]);
  });
});

describe('condition guards', () => {
  it('reads necessary equalities off the top-level conjunction only', () => {
    const guards = (expr: string) => {
      const c = compileCondition(expr);
      if (!c.ok) throw new Error(c.error);
      return Object.fromEntries(Object.entries(c.guards).map(([k, v]) => [k, [...v!].sort()]));
    };
    expect(guards('request.tenantId == "t" && request.agentId in ["b", "a"] && "x" == request.capability')).toEqual({
      tenantId: ['t'],
      agentId: ['a', 'b'],
      capability: ['x'],
    });
    expect(guards('request.agentId == "a" || request.agentId == "b"')).toEqual({});
    expect(guards('!(request.agentId == "a")')).toEqual({});
    expect(guards('request.agentId in ["a", request.capability]')).toEqual({});
    expect(guards('request.agentId in ["a", "b"] && request.agentId == "b"')).toEqual({ agentId: ['b'] });
    expect(guards('request.context.agentId == "a"')).toEqual({});
  });

  // The guards are an optimisation only: with or without them, every request gets the same answer.
  it('never changes an answer (property)', () => {
    const names = fc.constantFrom('a', 'b', 'c', '', 'x"y');
    const field = fc.constantFrom('agentId', 'capability', 'tenantId');
    const lit = names.map((s) => JSON.stringify(s));
    const atom = fc.oneof(
      fc.tuple(field, lit).map(([f, v]) => `request.${f} == ${v}`),
      fc.tuple(field, fc.array(lit, { maxLength: 3 })).map(([f, vs]) => `request.${f} in [${vs.join(', ')}]`),
      fc.constantFrom(
        'request.context.n > 1',
        'has(request.context.n)',
        'true',
        'false',
        'request.context.s.startsWith("a")',
      ),
    );
    const condition = fc.oneof(
      fc.array(atom, { minLength: 1, maxLength: 4 }).map((xs) => xs.join(' && ')),
      fc.tuple(atom, atom).map(([x, y]) => `(${x} || ${y})`),
      fc.tuple(atom, atom, atom).map(([x, y, z]) => `${x} && (${y} || ${z})`),
    );
    const request = fc.record({
      agentId: fc.option(names, { nil: undefined }),
      capability: fc.option(names, { nil: undefined }),
      tenantId: names,
      context: fc.record({
        n: fc.option(fc.oneof(fc.integer(), fc.string()), { nil: undefined }),
        s: fc.option(names, { nil: undefined }),
      }),
    });
    const engine = new PolicyEngine();
    const cache = new CelProgramCache();
    fc.assert(
      fc.property(fc.array(condition, { minLength: 1, maxLength: 5 }), request, (conditions, req) => {
        const context = Object.fromEntries(Object.entries(req.context).filter(([, v]) => v !== undefined));
        const policies = conditions.map((c, i) => policy({ id: `q${i}`, tenantId: req.tenantId, condition: c }));
        const result = engine.evaluate(engine.buildIndex(req.tenantId, policies), { ...req, context });
        const expected = policies
          .filter((p) => evaluateCondition(cache, p.condition, { request: { ...req, context } }).matched)
          .map((p) => p.id)
          .sort();
        expect(result.matched.map((m) => m.policyId).sort()).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });
});
