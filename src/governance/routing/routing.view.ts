import { ApiProperty } from '@nestjs/swagger';
import { effectiveConfidence, type AdjustmentType, type AppliedAdjustment } from './adjustment-calculator.js';
import type { AdjustmentRow, AgentRow, ListedAdjustmentRow } from './routing.repository.js';

/** Where routing starts for a capability: the trust runs taught for it, else the agent's base confidence. */
export function baseFor(agent: AgentRow, capability: string): number {
  return agent.trust?.[capability] ?? agent.base_confidence;
}

export class AgentView {
  @ApiProperty() agentId!: string;
  @ApiProperty({ type: [String] }) capabilities!: string[];
  @ApiProperty() baseConfidence!: number;
  /** Trust learned from recovery runs per capability (only capabilities a run has touched); routing starts there. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) trustByCapability!: Record<string, number>;
  /** Base + every active, unexpired confidence penalty of the agent (any capability), clamped to [0, 1]. */
  @ApiProperty() effectiveConfidence!: number;
  /**
   * Per capability of the agent: its trust (else base) + the penalties for that capability or for every
   * capability (''), clamped — exactly what POST /routing/route uses for that capability.
   */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) effectiveConfidenceByCapability!: Record<
    string,
    number
  >;
  /** Active, unexpired adjustments of any type. */
  @ApiProperty() activeAdjustments!: number;
  @ApiProperty() createdAt!: string;
}

export class AdjustmentView {
  @ApiProperty() id!: string;
  @ApiProperty() agentId!: string;
  @ApiProperty({ type: String, nullable: true }) capability!: string | null;
  @ApiProperty({ enum: ['confidence_penalty', 'route_block', 'escalation_add'] }) adjustmentType!: AdjustmentType;
  @ApiProperty() magnitude!: number;
  @ApiProperty() reason!: string;
  @ApiProperty() sourcePolicyId!: string;
  @ApiProperty({
    description:
      'in effect now: not switched off (its policy disabled) and not expired by the database’s clock; what `active` filters on and routing counts',
  })
  isActive!: boolean;
  @ApiProperty({
    description: 'its expiresAt has passed, by the database’s clock (a draft’s temporary adjustment ran out)',
  })
  expired!: boolean;
  @ApiProperty({ type: String, nullable: true }) expiresAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export const adjustmentView = (r: ListedAdjustmentRow): AdjustmentView => ({
  id: r.id,
  agentId: r.agent_id,
  capability: r.capability === '' ? null : r.capability,
  adjustmentType: r.adjustment_type,
  magnitude: r.magnitude,
  reason: r.reason,
  sourcePolicyId: r.source_policy_id,
  isActive: r.in_effect,
  expired: r.expired,
  expiresAt: r.expires_at ? r.expires_at.toISOString() : null,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** Counts now: active and not expired at `now`. */
export const inForce = (r: AdjustmentRow, now: Date): boolean =>
  r.is_active && (r.expires_at === null || r.expires_at.getTime() > now.getTime());

/** The adjustment is for this capability, or for every capability (''). */
export const appliesTo = (r: AdjustmentRow, capability: string): boolean =>
  r.capability === '' || r.capability === capability;

const applied = (r: AdjustmentRow): AppliedAdjustment => ({
  adjustmentType: r.adjustment_type,
  magnitude: r.magnitude,
  expiresAt: r.expires_at,
  isActive: r.is_active,
});

/** Effective confidence of an agent for a capability: base + its penalties for the capability or '', clamped to [0, 1]. */
export function confidenceFor(
  base: number,
  adjustments: readonly AdjustmentRow[],
  capability: string,
  now: Date,
): number {
  return effectiveConfidence(base, adjustments.filter((a) => appliesTo(a, capability)).map(applied), now);
}

/** `adjustments`: the agent's own rows (any state; expired and inactive ones do not count). */
export function agentView(agent: AgentRow, adjustments: readonly AdjustmentRow[], now: Date): AgentView {
  const counting = adjustments.filter((a) => a.agent_id === agent.id && inForce(a, now));
  const byCapability: Record<string, number> = {};
  for (const capability of agent.capabilities)
    byCapability[capability] = confidenceFor(baseFor(agent, capability), counting, capability, now);
  return {
    agentId: agent.id,
    capabilities: agent.capabilities,
    baseConfidence: agent.base_confidence,
    trustByCapability: agent.trust ?? {},
    effectiveConfidence: effectiveConfidence(agent.base_confidence, counting.map(applied), now),
    effectiveConfidenceByCapability: byCapability,
    activeAdjustments: counting.length,
    createdAt: agent.created_at.toISOString(),
  };
}

export class AgentList {
  @ApiProperty({ type: [AgentView] }) items!: AgentView[];
}

export class AdjustmentPage {
  @ApiProperty({ type: [AdjustmentView] }) items!: AdjustmentView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
