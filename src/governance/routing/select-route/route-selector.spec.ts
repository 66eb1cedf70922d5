import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { AdjustmentRow } from '../routing.repository.js';
import { assessCandidate, selectRoute, TENANT_KILL_SWITCH_REASON, type CandidateFacts } from './route-selector.js';

const now = new Date('2026-01-01T00:00:00Z');
const adjustment = (over: Partial<AdjustmentRow> = {}): AdjustmentRow => ({
  id: 'adj',
  tenant_id: 't',
  agent_id: 'a',
  capability: '',
  adjustment_type: 'confidence_penalty',
  magnitude: -0.3,
  reason: '',
  source_policy_id: 'p1',
  is_active: true,
  expires_at: null,
  created_at: now,
  updated_at: now,
  ...over,
});
const facts = (over: Partial<CandidateFacts> = {}): CandidateFacts => ({
  agentId: 'a',
  baseConfidence: 1,
  adjustments: [],
  policy: { decision: 'allow', matched: [] },
  agentKillSwitch: false,
  ...over,
});

describe('assessCandidate', () => {
  it('counts penalties for the capability or every capability, in force only, clamped', () => {
    const adjustments = [
      adjustment({ capability: 'summarise', magnitude: -0.2 }),
      adjustment({ capability: '', magnitude: -0.3 }),
      adjustment({ capability: 'translate', magnitude: -0.5 }),
      adjustment({ magnitude: -0.4, expires_at: new Date(now.getTime() - 1) }),
      adjustment({ magnitude: -0.4, expires_at: now }), // expiring exactly now: no longer counts
      adjustment({ magnitude: -0.4, is_active: false }),
      adjustment({ agent_id: 'b', magnitude: -0.4 }),
    ];
    expect(assessCandidate(facts({ adjustments }), 'summarise', now).effectiveConfidence).toBe(0.5);
    expect(assessCandidate(facts({ adjustments }), 'translate', now).effectiveConfidence).toBe(0.2);
    expect(
      assessCandidate(facts({ adjustments: [adjustment({ magnitude: -1 }), adjustment({ magnitude: -1 })] }), 'x', now)
        .effectiveConfidence,
    ).toBe(0);
  });

  it('skips for the kill switch, a route_block in force, or a block / route_away decision, with reasons', () => {
    expect(assessCandidate(facts({ agentKillSwitch: true }), 'x', now)).toMatchObject({
      eligible: false,
      reasons: ['kill switch active for agent a'],
    });
    expect(assessCandidate(facts(), 'x', now, true)).toMatchObject({
      eligible: false,
      reasons: [TENANT_KILL_SWITCH_REASON],
    });
    const block = adjustment({ adjustment_type: 'route_block', magnitude: 1, capability: 'x', source_policy_id: 'p9' });
    expect(assessCandidate(facts({ adjustments: [block] }), 'x', now)).toMatchObject({
      eligible: false,
      reasons: ['route_block adjustment from policy p9 for x'],
    });
    expect(assessCandidate(facts({ adjustments: [block] }), 'y', now).eligible).toBe(true);
    expect(assessCandidate(facts({ adjustments: [{ ...block, expires_at: now }] }), 'x', now).eligible).toBe(true);
    const decided = (decision: 'block' | 'route_away' | 'escalate' | 'warn') =>
      assessCandidate(
        facts({
          policy: {
            decision,
            matched: [
              { policyId: 'p2', action: decision, status: 'active' },
              { policyId: 'p3', action: 'block', status: 'draft' },
            ],
          },
        }),
        'x',
        now,
      );
    expect(decided('block')).toMatchObject({ eligible: false, reasons: ['policy decision block (policy p2)'] });
    expect(decided('route_away')).toMatchObject({
      eligible: false,
      reasons: ['policy decision route_away (policy p2)'],
    });
    expect(decided('escalate')).toMatchObject({ eligible: true, needsHumanCheckpoint: true });
    expect(decided('warn')).toMatchObject({
      eligible: true,
      needsHumanCheckpoint: false,
      reasons: ['policy decision warn (policy p2)'],
    });
    const escalation = adjustment({ adjustment_type: 'escalation_add', magnitude: 1 });
    expect(assessCandidate(facts({ adjustments: [escalation] }), 'x', now)).toMatchObject({
      eligible: true,
      needsHumanCheckpoint: true,
    });
  });
});

describe('selectRoute', () => {
  const assessed = (agentId: string, effectiveConfidence: number, eligible = true) => ({
    agentId,
    baseConfidence: 1,
    effectiveConfidence,
    eligible,
    reasons: [],
    needsHumanCheckpoint: false,
  });

  it('chooses the highest effective confidence among eligible candidates, whatever the input order (property)', () => {
    const candidate = fc.record({
      agentId: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'A', 'b2'),
      effectiveConfidence: fc.constantFrom(0, 0.25, 0.5, 1),
      eligible: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.uniqueArray(candidate, { selector: (c) => c.agentId, maxLength: 7 }), (cs) => {
        const input = cs.map((c) => assessed(c.agentId, c.effectiveConfidence, c.eligible));
        const forward = selectRoute('x', input);
        const backward = selectRoute('x', [...input].reverse());
        expect(backward.agentId).toBe(forward.agentId);
        const eligible = input.filter((c) => c.eligible);
        if (eligible.length === 0) return expect(forward.agentId).toBeNull();
        const best = Math.max(...eligible.map((c) => c.effectiveConfidence));
        const expected = eligible
          .filter((c) => c.effectiveConfidence === best)
          .map((c) => c.agentId)
          .sort()[0];
        expect(forward.agentId).toBe(expected);
      }),
    );
  });

  it('chooses no agent under the tenant kill switch, or when no candidate is eligible', () => {
    expect(selectRoute('x', [assessed('a', 1)], true)).toMatchObject({
      agentId: null,
      reason: TENANT_KILL_SWITCH_REASON,
    });
    expect(selectRoute('x', [assessed('a', 1, false)])).toMatchObject({
      agentId: null,
      reason: 'no eligible candidate: all 1 candidate(s) for x were skipped',
    });
    expect(selectRoute('x', [])).toMatchObject({ agentId: null, reason: 'no registered agent has capability x' });
  });
});
