import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { calculateAdjustments, effectiveConfidence, type AdjustmentInput } from './adjustment-calculator.js';

const now = new Date('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;
const input = (
  policy: Partial<AdjustmentInput['policy']> = {},
  over: Partial<AdjustmentInput> = {},
): AdjustmentInput => ({
  policy: { id: 'pol-1', action: 'block', status: 'active', confidence: 0.8, ...policy },
  agents: ['agent-a'],
  capabilities: ['summarise'],
  now,
  draftTtlMs: HOUR,
  ...over,
});

describe('calculateAdjustments', () => {
  it.each([
    ['block', 'confidence_penalty', -0.8],
    ['warn', 'confidence_penalty', -0.08],
    ['route_away', 'route_block', 0.8],
    ['escalate', 'escalation_add', 0.8],
  ] as const)('%s → %s with magnitude %d (active, confidence 0.8)', (action, type, magnitude) => {
    const [adj] = calculateAdjustments(input({ action }));
    expect(adj).toMatchObject({
      agentId: 'agent-a',
      capability: 'summarise',
      adjustmentType: type,
      magnitude,
      expiresAt: null,
    });
    expect(adj!.reason).toContain('pol-1');
  });

  it('makes draft adjustments half as strong and temporary', () => {
    const [adj] = calculateAdjustments(input({ status: 'draft' }));
    expect(adj!.magnitude).toBe(-0.4);
    expect(adj!.expiresAt).toEqual(new Date(now.getTime() + HOUR));
    expect(() => calculateAdjustments(input({ status: 'draft' }, { draftTtlMs: 0 }))).toThrow(RangeError);
  });

  it('keeps warn smaller than block', () => {
    const warn = calculateAdjustments(input({ action: 'warn', confidence: 1 }))[0]!.magnitude;
    const block = calculateAdjustments(input({ action: 'block', confidence: 1 }))[0]!.magnitude;
    expect(warn).toBeLessThan(0);
    expect(Math.abs(warn)).toBeLessThan(Math.abs(block));
  });

  it('writes one adjustment per (agent, capability), null capability when none', () => {
    const many = calculateAdjustments(input({}, { agents: ['a', 'b', 'a'], capabilities: ['x', 'y'] }));
    expect(many.map((a) => `${a.agentId}/${a.capability}`)).toEqual(['a/x', 'a/y', 'b/x', 'b/y']);
    const whole = calculateAdjustments(input({}, { agents: ['a', 'b'], capabilities: [] }));
    expect(whole.map((a) => [a.agentId, a.capability])).toEqual([
      ['a', null],
      ['b', null],
    ]);
    expect(calculateAdjustments(input({}, { agents: [] }))).toEqual([]);
  });

  it('clamps magnitudes to [-1, 1] whatever the confidence', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('block', 'warn', 'escalate', 'route_away' as const),
        fc.constantFrom('active', 'draft' as const),
        fc.double({ noNaN: false }),
        (action, status, confidence) => {
          for (const a of calculateAdjustments(input({ action, status, confidence }))) {
            expect(a.magnitude).toBeGreaterThanOrEqual(-1);
            expect(a.magnitude).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
    expect(calculateAdjustments(input({ confidence: 7 }))[0]!.magnitude).toBe(-1);
  });
});

describe('effectiveConfidence', () => {
  const penalty = (magnitude: number, over: { expiresAt?: Date | null; isActive?: boolean } = {}) => ({
    adjustmentType: 'confidence_penalty' as const,
    magnitude,
    expiresAt: null,
    isActive: true,
    ...over,
  });

  it('adds active, unexpired confidence penalties only', () => {
    const result = effectiveConfidence(
      0.9,
      [
        penalty(-0.2),
        penalty(-0.1, { expiresAt: new Date(now.getTime() + 1000) }),
        penalty(-0.5, { expiresAt: new Date(now.getTime() - 1) }), // expired
        penalty(-0.5, { expiresAt: now }), // expires exactly now
        penalty(-0.5, { isActive: false }), // policy disabled
        { adjustmentType: 'route_block', magnitude: 1, expiresAt: null, isActive: true },
        { adjustmentType: 'escalation_add', magnitude: 1, expiresAt: null, isActive: true },
      ],
      now,
    );
    expect(result).toBe(0.6);
  });

  it('clamps to [0, 1]', () => {
    expect(effectiveConfidence(0.5, [penalty(-1), penalty(-1)], now)).toBe(0);
    expect(effectiveConfidence(0.9, [penalty(0.5)], now)).toBe(1);
    expect(effectiveConfidence(0.7, [], now)).toBe(0.7);
  });
});
