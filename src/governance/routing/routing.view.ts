import type { AdjustmentType } from './adjustment-calculator.js';

export interface AgentRow {
  tenant_id: string;
  id: string;
  capabilities: string[];
  base_confidence: number;
  created_at: Date;
  updated_at: Date;
}

export interface AdjustmentRow {
  id: string;
  tenant_id: string;
  agent_id: string;
  /** '' stands for "every capability of the agent". */
  capability: string;
  adjustment_type: AdjustmentType;
  magnitude: number;
  reason: string;
  source_policy_id: string;
  is_active: boolean;
  expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface AgentView {
  agentId: string;
  capabilities: string[];
  baseConfidence: number;
  effectiveConfidence: number;
  /** Active, unexpired adjustments of any type. */
  activeAdjustments: number;
  createdAt: string;
}

export interface AdjustmentView {
  id: string;
  agentId: string;
  capability: string | null;
  adjustmentType: AdjustmentType;
  magnitude: number;
  reason: string;
  sourcePolicyId: string;
  isActive: boolean;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export const adjustmentView = (r: AdjustmentRow): AdjustmentView => ({
  id: r.id,
  agentId: r.agent_id,
  capability: r.capability === '' ? null : r.capability,
  adjustmentType: r.adjustment_type,
  magnitude: r.magnitude,
  reason: r.reason,
  sourcePolicyId: r.source_policy_id,
  isActive: r.is_active,
  expiresAt: r.expires_at ? r.expires_at.toISOString() : null,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});
