import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import {
  contextProblem,
  CEL_EVAL_BUDGET_MS,
  CEL_EVAL_SKIP_MS,
  CEL_EVAL_STRIKES,
  CelProgramCache,
  MAX_CONTEXT_DEPTH,
  MAX_CONTEXT_ITEMS,
  celBindings,
  celString,
  compileCondition,
  evaluateCondition,
  planUnchecked,
  runProgram,
  validateCondition,
} from './cel.js';

const req = (request: Record<string, unknown>) => ({ request }) as never;

describe('validateCondition', () => {
  it.each([
    'request.agentId == "a"',
    'request.tenantId == "t1" && request.agentId in ["a", "b"] && request.capability == "summarise"',
    'has(request.context.region) && request.context.region == "eu"',
    'request.context.retries > 3 || request.capability.startsWith("gen")',
    '["a", "b"].exists(x, x == request.agentId)',
    'true',
  ])('accepts %s', (expr) => {
    expect(validateCondition(expr)).toEqual({ ok: true });
  });

  it('reports syntax errors with line and column', () => {
    const r = validateCondition('request.agentId ==');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^syntax error at line 1, column \d+: found/);
    expect(!r.ok && r.error.length).toBeLessThanOrEqual(240);
  });

  it.each([
    ['', /empty/],
    ['request.agentId == "a" &&& true', /syntax error/],
    ['"unterminated', /syntax error/],
    ['user.id == "a"', /unknown variable "user"/],
    ['launchMissiles(request.agentId)', /unknown function "launchMissiles"/],
    ['request.agentId.shout()', /unknown function "shout"/],
    ['"yes"', /must evaluate to a bool, got string/],
    ['request.agentId', /must evaluate to a bool, got null/],
  ])('rejects %s', (expr, message) => {
    const r = validateCondition(expr);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(message);
  });
});

describe('validateCondition limits', () => {
  it('rejects conditions longer than 4096 characters', () => {
    const r = validateCondition(`request.agentId == "${'x'.repeat(5000)}"`);
    expect(!r.ok && r.error).toMatch(/longer than 4096/);
  });
});

describe('evaluateCondition', () => {
  const cache = new CelProgramCache();
  const cond = 'request.tenantId == "t1" && request.agentId in ["a", "b"] && request.capability == "summarise"';

  it('is true for a matching request and false for another agent', () => {
    expect(evaluateCondition(cache, cond, req({ tenantId: 't1', agentId: 'b', capability: 'summarise' }))).toEqual({
      matched: true,
    });
    expect(evaluateCondition(cache, cond, req({ tenantId: 't1', agentId: 'c', capability: 'summarise' }))).toEqual({
      matched: false,
    });
    expect(evaluateCondition(cache, cond, req({ tenantId: 't2', agentId: 'a', capability: 'summarise' }))).toEqual({
      matched: false,
    });
  });

  it('treats missing top-level fields as null, not an error', () => {
    expect(evaluateCondition(cache, cond, req({ tenantId: 't1' }))).toEqual({ matched: false });
    expect(evaluateCondition(cache, 'request.agentId == null', req({}))).toEqual({ matched: true });
  });

  it('reads request.context; has() guards missing keys', () => {
    const guarded = 'has(request.context.region) && request.context.region == "eu"';
    expect(evaluateCondition(cache, guarded, req({ context: { region: 'eu' } })).matched).toBe(true);
    expect(evaluateCondition(cache, guarded, req({ context: {} }))).toEqual({ matched: false });
    expect(evaluateCondition(cache, guarded, req({}))).toEqual({ matched: false });
    expect(evaluateCondition(cache, 'request.context.retries >= 3', req({ context: { retries: 3 } })).matched).toBe(
      true,
    );
    expect(
      evaluateCondition(
        cache,
        'request.context.at.startsWith("2026")',
        req({ context: { at: new Date('2026-01-02T00:00:00Z') } }),
      ).matched,
    ).toBe(true);
  });

  it('never throws: evaluation errors give matched false with the error', () => {
    const missing = evaluateCondition(cache, 'request.context.region == "eu"', req({ context: {} }));
    expect(missing.matched).toBe(false);
    expect(missing.error).toMatch(/region/);

    const badType = evaluateCondition(cache, 'request.context.n + "x" == "1x"', req({ context: { n: 1 } }));
    expect(badType).toEqual({ matched: false, error: expect.stringMatching(/overload/) });

    const invalid = evaluateCondition(cache, 'request.agentId ==', req({ agentId: 'a' }));
    expect(invalid).toEqual({ matched: false, error: expect.stringMatching(/syntax error/) });

    const notBool = evaluateCondition(cache, 'request.context.v', req({ context: { v: 'yes' } }));
    expect(notBool).toEqual({ matched: false, error: expect.stringMatching(/not a bool/) });

    expect(() => evaluateCondition(cache, cond, null as never)).not.toThrow();
    expect(evaluateCondition(cache, cond, null as never).matched).toBe(false);
  });
});

describe('contextProblem', () => {
  it('names where a context is longer or deeper than conditions see, and accepts one within the bounds', () => {
    const entries = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    expect(contextProblem({ a: entries(100), b: [entries(100)] })).toBeNull();
    expect(contextProblem(entries(101))).toBe(`context holds 101 entries; at most ${MAX_CONTEXT_ITEMS}`);
    expect(contextProblem({ a: [1, { b: Array.from({ length: 101 }, () => 'x') }] })).toBe(
      `context.a[1].b holds 101 entries; at most ${MAX_CONTEXT_ITEMS}`,
    );
    const nest = (levels: number): unknown => (levels === 0 ? 1 : { n: nest(levels - 1) });
    // Levels as toCelValue counts them: a value MAX_CONTEXT_DEPTH levels down is still seen.
    expect(contextProblem(nest(MAX_CONTEXT_DEPTH))).toBeNull();
    expect(contextProblem(nest(MAX_CONTEXT_DEPTH + 1))).toMatch(/^context(\.n)+ nests deeper than 32 levels$/);
  });
});

describe('CelProgramCache', () => {
  it('compiles each expression once and reuses the program', () => {
    const cache = new CelProgramCache();
    const expr = 'request.agentId == "a"';
    const first = cache.get(expr);
    for (const agentId of ['a', 'b', 'a']) evaluateCondition(cache, expr, req({ agentId }));
    expect(cache.get(expr)).toBe(first);
    expect(cache.compilations).toBe(1);
    expect(cache.size).toBe(1);
  });

  it('caches failures too and evicts the least recently used beyond its size', () => {
    const cache = new CelProgramCache(2);
    cache.get('bad ==');
    cache.get('bad ==');
    expect(cache.compilations).toBe(1);
    cache.get('true');
    cache.get('bad =='); // touch: now most recent
    cache.get('false'); // evicts 'true'
    expect(cache.size).toBe(2);
    cache.get('bad ==');
    expect(cache.compilations).toBe(3);
    cache.get('true');
    expect(cache.compilations).toBe(4);
  });
});

describe('celString', () => {
  const roundTrips = (s: string) =>
    evaluateCondition(new CelProgramCache(), `request.agentId == ${celString(s)}`, req({ agentId: s })).matched;

  it('escapes quotes, backslashes and control characters', () => {
    expect(celString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(celString('x\ny\u0001')).toBe('"x\\ny\\u0001"');
    for (const s of ['a"b', 'back\\slash', '\\"', '" || true || "', 'tab\there', 'é😀', '\u007f']) {
      expect(compileCondition(`request.agentId == ${celString(s)}`).ok).toBe(true);
      expect(roundTrips(s)).toBe(true);
    }
  });

  it('round-trips any string (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => roundTrips(s)),
      { numRuns: 300 },
    );
  });
});

describe('condition cost bounds', () => {
  // The attacker's shape: macros nested inside macros over literal lists (10^5 steps and more).
  const list = `[${Array.from({ length: 10 }, (_, i) => i).join(', ')}]`;
  const nested = (depth: number): string => (depth === 0 ? 'true' : `${list}.all(x${depth}, ${nested(depth - 1)})`);

  it('refuses macros nested deeper than the limit, naming the reason', () => {
    const r = validateCondition(nested(5));
    expect(r).toEqual({ ok: false, error: expect.stringContaining('nests more than 2 macros') });
  });

  it('refuses a condition whose worst case over request.context lists is too costly', () => {
    const r = validateCondition('request.context.a.all(x, request.context.b.exists(y, x == y))');
    expect(r).toEqual({ ok: false, error: expect.stringContaining('too costly') });
  });

  it('refuses expressions nested too deep', () => {
    const expr = `size(${'['.repeat(40)}"a"${']'.repeat(40)}) > 0`;
    expect(validateCondition(expr)).toEqual({ ok: false, error: expect.stringContaining('nested deeper than 32') });
  });

  it('accepts a single macro over a context list, and cuts the list at MAX_CONTEXT_ITEMS when evaluating', () => {
    const cache = new CelProgramCache();
    const expr = 'request.context.tags.exists(t, t == "needle")';
    expect(validateCondition(expr)).toEqual({ ok: true });
    const tags = Array.from({ length: MAX_CONTEXT_ITEMS + 5 }, (_, i) => `t${i}`);
    expect(evaluateCondition(cache, expr, req({ context: { tags: [...tags.slice(0, 10), 'needle'] } }))).toEqual({
      matched: true,
    });
    // Beyond the cut, the needle is not seen: the cost bound holds whatever the context holds.
    expect(evaluateCondition(cache, expr, req({ context: { tags: [...tags, 'needle'] } }))).toEqual({ matched: false });
  });

  it('skips a program, with the reason, after CEL_EVAL_STRIKES evaluations over its budget (a really slow one)', () => {
    const expr = 'request.context.s.matches("^(a+)+$")';
    expect(validateCondition(expr)).toEqual({ ok: false, error: expect.stringContaining('nested quantifiers') });
    // One that slipped through (stored before the checks): 216 000 iterations, over budget each
    // time; after CEL_EVAL_STRIKES it is skipped without running, recompiled or not.
    const l60 = `[${Array.from({ length: 60 }, (_, i) => i).join(', ')}]`;
    const slow = `${l60}.all(a, ${l60}.all(b, ${l60}.all(c, a + b + c >= 0 || request.agentId == "x")))`;
    expect(validateCondition(slow)).toMatchObject({ ok: false });
    const program = planUnchecked(slow);
    const bindings = celBindings(req({}));
    // Each evaluation that finished keeps its result; the next ones are skipped.
    for (let i = 0; i < CEL_EVAL_STRIKES; i++) expect(runProgram(program, bindings)).toEqual({ matched: true });
    expect(runProgram(planUnchecked(slow), bindings)).toEqual({
      matched: false,
      error: expect.stringContaining('budget'),
    });
  });

  describe('on a host that stalls', () => {
    const now = performance.now.bind(performance);
    type Program = ReturnType<typeof planUnchecked>;
    type Bindings = ReturnType<typeof celBindings>;
    /** Runs the program on a clock `laterBy` ms ahead that, when the host stalls, passes the budget between any two readings. */
    const runAt = (program: Program, bindings: Bindings, { laterBy = 0, stall = false } = {}) => {
      let readings = 0;
      const clock = jest
        .spyOn(performance, 'now')
        .mockImplementation(() => now() + laterBy + (stall ? readings++ * (CEL_EVAL_BUDGET_MS + 10) : 0));
      try {
        return runProgram(program, bindings);
      } finally {
        clock.mockRestore();
      }
    };
    const stalled = (program: Program, bindings: Bindings) => runAt(program, bindings, { stall: true });
    const skipped = { matched: false, error: expect.stringContaining('budget') };

    it('keeps the result of an evaluation that took longer than the budget', () => {
      const deny = planUnchecked('request.agentId == "stalled-once"');
      const bindings = celBindings(req({ agentId: 'stalled-once' }));
      expect(stalled(deny, bindings)).toEqual({ matched: true });
      expect(runProgram(deny, bindings)).toEqual({ matched: true });
    });

    it('skips a condition only after CEL_EVAL_STRIKES slow evaluations in a row', () => {
      const text = 'request.agentId == "stalled-often"';
      const bindings = celBindings(req({ agentId: 'stalled-often' }));
      const program = planUnchecked(text);
      // Slow, slow, fast: the count starts again, so occasional pauses never add up.
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < CEL_EVAL_STRIKES - 1; i++) expect(stalled(program, bindings)).toEqual({ matched: true });
        expect(runProgram(program, bindings)).toEqual({ matched: true });
      }
      for (let i = 0; i < CEL_EVAL_STRIKES; i++) expect(stalled(program, bindings)).toEqual({ matched: true });
      expect(runProgram(planUnchecked(text), bindings)).toEqual(skipped);
    });

    it('evaluates a skipped condition once more after CEL_EVAL_SKIP_MS: skipped again while slow, back once within budget', () => {
      const text = 'request.agentId == "stalled-for-a-while"';
      const bindings = celBindings(req({ agentId: 'stalled-for-a-while' }));
      const program = planUnchecked(text);
      for (let i = 0; i < CEL_EVAL_STRIKES; i++) expect(stalled(program, bindings)).toEqual({ matched: true });
      expect(runAt(program, bindings, { laterBy: CEL_EVAL_SKIP_MS - 1000 })).toEqual(skipped);
      // The retry is slow again: its result is kept, and another skip starts from it.
      expect(runAt(program, bindings, { laterBy: CEL_EVAL_SKIP_MS + 1000, stall: true })).toEqual({ matched: true });
      expect(runAt(program, bindings, { laterBy: CEL_EVAL_SKIP_MS + 2000 })).toEqual(skipped);
      // The next retry is within budget: the condition is back, and one slow evaluation no longer skips it.
      expect(runAt(program, bindings, { laterBy: 2 * CEL_EVAL_SKIP_MS + 2000 })).toEqual({ matched: true });
      expect(stalled(program, bindings)).toEqual({ matched: true });
      expect(runProgram(program, bindings)).toEqual({ matched: true });
    });
  });
});
