import type { MatchedPolicy, PolicyDecisionValue } from '../../policies/evaluate-policies/policy-engine.js';
import type { AdjustmentRow } from '../routing.repository.js';
import { appliesTo, confidenceFor, inForce } from '../routing.view.js';

/** Everything known about one candidate agent for one routing request. */
export interface CandidateFacts {
  agentId: string;
  baseConfidence: number;
  /** The agent's adjustments (any capability or state; only those in force for the capability count). */
  adjustments: readonly AdjustmentRow[];
  /** The policy decision for (agent, capability, context); null when the kill switch decided before policies ran. */
  policy: { decision: PolicyDecisionValue; matched: readonly MatchedPolicy[] } | null;
  /** The agent's own kill switch is on. */
  agentKillSwitch: boolean;
}

export interface CandidateAssessment {
  agentId: string;
  baseConfidence: number;
  /** For the requested capability: base + penalties for it or for every capability, clamped to [0, 1]. */
  effectiveConfidence: number;
  eligible: boolean;
  /** Why it was skipped, and anything else that shaped the answer (escalations, warnings). */
  reasons: string[];
  needsHumanCheckpoint: boolean;
}

export interface RouteSelection {
  agentId: string | null;
  reason: string | null;
  needsHumanCheckpoint: boolean;
  /** Ranked: eligible first, then by effective confidence (highest first), then agentId. */
  candidates: CandidateAssessment[];
}

export const TENANT_KILL_SWITCH_REASON = 'kill switch active for the tenant';

/**
 * Assesses one candidate for a capability at `now`. Skipped (ineligible): the agent's kill
 * switch, an in-force route_block for the capability (or ''), a policy decision of block or
 * route_away. Needs a human checkpoint: an in-force escalation_add, or a policy decision of
 * escalate. Draft policies never count here: the engine reports them but they do not decide.
 */
export function assessCandidate(
  facts: CandidateFacts,
  capability: string,
  now: Date,
  tenantKillSwitch = false,
): CandidateAssessment {
  const counting = facts.adjustments.filter(
    (a) => a.agent_id === facts.agentId && inForce(a, now) && appliesTo(a, capability),
  );
  const reasons: string[] = [];
  let eligible = true;
  let needsHumanCheckpoint = false;
  const skip = (reason: string) => {
    eligible = false;
    reasons.push(reason);
  };

  if (tenantKillSwitch) skip(TENANT_KILL_SWITCH_REASON);
  if (facts.agentKillSwitch) skip(`kill switch active for agent ${facts.agentId}`);
  for (const a of sortById(counting.filter((a) => a.adjustment_type === 'route_block'))) {
    skip(`route_block adjustment from policy ${a.source_policy_id}${a.capability ? ` for ${a.capability}` : ''}`);
  }
  const decision = facts.policy?.decision ?? 'allow';
  const deciding = (facts.policy?.matched ?? [])
    .filter((m) => m.status === 'active' && m.action === decision)
    .map((m) => m.policyId);
  const by = deciding.length ? ` (polic${deciding.length > 1 ? 'ies' : 'y'} ${deciding.join(', ')})` : '';
  if (decision === 'block' || decision === 'route_away') skip(`policy decision ${decision}${by}`);
  for (const a of sortById(counting.filter((a) => a.adjustment_type === 'escalation_add'))) {
    needsHumanCheckpoint = true;
    reasons.push(`escalation_add adjustment from policy ${a.source_policy_id}: needs a human checkpoint`);
  }
  if (decision === 'escalate') {
    needsHumanCheckpoint = true;
    reasons.push(`policy decision escalate${by}: needs a human checkpoint`);
  }
  if (decision === 'warn') reasons.push(`policy decision warn${by}`);

  return {
    agentId: facts.agentId,
    baseConfidence: facts.baseConfidence,
    effectiveConfidence: confidenceFor(facts.baseConfidence, counting, capability, now),
    eligible,
    reasons,
    needsHumanCheckpoint,
  };
}

/**
 * Chooses the eligible candidate with the highest effective confidence; ties go to the
 * smallest agentId (plain code-unit order, so every replica agrees). No eligible candidate:
 * agentId null with the reason.
 */
export function selectRoute(
  capability: string,
  assessed: CandidateAssessment[],
  tenantKillSwitch = false,
): RouteSelection {
  const candidates = [...assessed].sort(rank);
  if (tenantKillSwitch)
    return { agentId: null, reason: TENANT_KILL_SWITCH_REASON, needsHumanCheckpoint: false, candidates };
  if (candidates.length === 0) {
    return {
      agentId: null,
      reason: `no registered agent has capability ${capability}`,
      needsHumanCheckpoint: false,
      candidates,
    };
  }
  const eligible = candidates.filter((c) => c.eligible);
  const best = eligible[0];
  if (!best) {
    return {
      agentId: null,
      reason: `no eligible candidate: all ${candidates.length} candidate(s) for ${capability} were skipped`,
      needsHumanCheckpoint: false,
      candidates,
    };
  }
  const tied = eligible.filter((c) => c.effectiveConfidence === best.effectiveConfidence).length;
  return {
    agentId: best.agentId,
    reason:
      `highest effective confidence (${best.effectiveConfidence}) of ${eligible.length} eligible candidate(s)` +
      (tied > 1 ? `, tie of ${tied} broken by agentId` : '') +
      (best.needsHumanCheckpoint ? '; needs a human checkpoint' : ''),
    needsHumanCheckpoint: best.needsHumanCheckpoint,
    candidates,
  };
}

function rank(a: CandidateAssessment, b: CandidateAssessment): number {
  if (a.eligible !== b.eligible) return a.eligible ? -1 : 1;
  if (a.effectiveConfidence !== b.effectiveConfidence) return b.effectiveConfidence - a.effectiveConfidence;
  return a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0;
}

function sortById(rows: AdjustmentRow[]): AdjustmentRow[] {
  return rows.sort((a, b) =>
    a.source_policy_id < b.source_policy_id ? -1 : a.source_policy_id > b.source_policy_id ? 1 : 0,
  );
}
