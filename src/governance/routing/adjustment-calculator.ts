export type AdjustmentType = 'confidence_penalty' | 'route_block' | 'escalation_add';
export type RoutingPolicyAction = 'block' | 'warn' | 'escalate' | 'route_away';

export interface AdjustmentInput {
  policy: { id: string; action: RoutingPolicyAction; status: 'active' | 'draft'; confidence: number };
  agents: string[];
  /** Empty → one adjustment per agent with capability null (the agent as a whole). */
  capabilities: string[];
  now: Date;
  /** How long a draft policy's adjustments last. */
  draftTtlMs: number;
}

export interface CalculatedAdjustment {
  agentId: string;
  capability: string | null;
  adjustmentType: AdjustmentType;
  /** In [-1, 1]. Negative lowers the agent's confidence; positive is the strength of a block or escalation. */
  magnitude: number;
  expiresAt: Date | null;
  reason: string;
}

/**
 * What each policy action does to routing, at full confidence on an active policy:
 * - block      → confidence_penalty −1   (the agent is effectively taken out)
 * - warn       → confidence_penalty −0.1 (a nudge)
 * - route_away → route_block        +1
 * - escalate   → escalation_add     +1
 */
export const ACTION_EFFECTS: Record<RoutingPolicyAction, { type: AdjustmentType; weight: number }> = {
  block: { type: 'confidence_penalty', weight: -1 },
  warn: { type: 'confidence_penalty', weight: -0.1 },
  route_away: { type: 'route_block', weight: 1 },
  escalate: { type: 'escalation_add', weight: 1 },
};

/** Draft policies are unreviewed guesses: half the effect, and temporary. */
export const DRAFT_FACTOR = 0.5;

/**
 * Routing adjustments for a policy (bridge 4), one per (agent, capability).
 * magnitude = weight × policy confidence × (draft ? 0.5 : 1), clamped to [-1, 1];
 * expiresAt = now + draftTtlMs for drafts, null (lasting) for active policies.
 */
export function calculateAdjustments(input: AdjustmentInput): CalculatedAdjustment[] {
  const { policy, now, draftTtlMs } = input;
  const effect = ACTION_EFFECTS[policy.action];
  if (!effect) throw new Error(`unknown policy action "${String(policy.action)}"`);
  const draft = policy.status === 'draft';
  if (draft && !(Number.isFinite(draftTtlMs) && draftTtlMs > 0)) {
    throw new RangeError(`draftTtlMs must be a positive number of milliseconds (got ${draftTtlMs})`);
  }

  const confidence = clamp(policy.confidence, 0, 1);
  const magnitude = round4(clamp(effect.weight * confidence * (draft ? DRAFT_FACTOR : 1), -1, 1));
  const expiresAt = draft ? new Date(now.getTime() + draftTtlMs) : null;
  const reason =
    `${draft ? 'draft' : 'active'} policy ${policy.id} (${policy.action}, confidence ${confidence}): ` +
    `${effect.type} ${magnitude}${draft ? ' until ' + expiresAt!.toISOString() : ''}`;

  const agents = unique(input.agents);
  const capabilities: (string | null)[] = unique(input.capabilities);
  if (capabilities.length === 0) capabilities.push(null);

  return agents.flatMap((agentId) =>
    capabilities.map((capability) => ({
      agentId,
      capability,
      adjustmentType: effect.type,
      magnitude,
      // One Date per row so callers can't mutate a shared instance.
      expiresAt: expiresAt && new Date(expiresAt),
      reason,
    })),
  );
}

export interface AppliedAdjustment {
  adjustmentType: AdjustmentType;
  magnitude: number;
  expiresAt: Date | null;
  isActive: boolean;
}

/**
 * Routing confidence of an agent: base + the magnitudes of its active, unexpired
 * confidence penalties, clamped to [0, 1]. route_block and escalation_add do not change
 * confidence; the router reads them separately.
 */
export function effectiveConfidence(base: number, adjustments: AppliedAdjustment[], now: Date): number {
  let total = Number.isFinite(base) ? base : 0;
  for (const a of adjustments) {
    if (!a.isActive || a.adjustmentType !== 'confidence_penalty') continue;
    if (a.expiresAt && a.expiresAt.getTime() <= now.getTime()) continue;
    total += Number.isFinite(a.magnitude) ? a.magnitude : 0;
  }
  return round4(clamp(total, 0, 1));
}

function clamp(x: number, lo: number, hi: number): number {
  return Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : lo;
}

function round4(x: number): number {
  const r = Math.round(x * 1e4) / 1e4;
  return r === 0 ? 0 : r; // no -0 in stored values
}

function unique(values: readonly (string | null | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== ''))];
}
