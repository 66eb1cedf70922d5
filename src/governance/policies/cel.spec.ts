import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CelProgramCache, celString, compileCondition, evaluateCondition, validateCondition } from './cel.js';

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
    expect(evaluateCondition(cache, cond, req({ tenantId: 't1', agentId: 'b', capability: 'summarise' }))).toEqual({ matched: true });
    expect(evaluateCondition(cache, cond, req({ tenantId: 't1', agentId: 'c', capability: 'summarise' }))).toEqual({ matched: false });
    expect(evaluateCondition(cache, cond, req({ tenantId: 't2', agentId: 'a', capability: 'summarise' }))).toEqual({ matched: false });
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
    expect(evaluateCondition(cache, 'request.context.retries >= 3', req({ context: { retries: 3 } })).matched).toBe(true);
    expect(evaluateCondition(cache, 'request.context.at.startsWith("2026")', req({ context: { at: new Date('2026-01-02T00:00:00Z') } })).matched).toBe(true);
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
