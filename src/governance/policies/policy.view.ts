import type { PolicyAction, PolicyCategory, PolicyScope } from './policy-generator.js';

export const POLICY_CATEGORIES: readonly PolicyCategory[] = ['safety', 'privacy', 'operational', 'routing', 'custom'];
export const POLICY_ACTIONS: readonly PolicyAction[] = ['block', 'warn', 'escalate', 'route_away'];
export const POLICY_SCOPES: readonly PolicyScope[] = ['global', 'tenant', 'agent'];
export const POLICY_STATUSES = ['draft', 'active', 'disabled'] as const;
export type PolicyRuleStatus = (typeof POLICY_STATUSES)[number];
export const POLICY_SOURCE_TYPES = ['manual', 'recovery', 'pattern'] as const;
export type PolicySourceType = (typeof POLICY_SOURCE_TYPES)[number];

export interface PolicyRow {
  id: string;
  tenant_id: string;
  name: string;
  description: string;
  category: PolicyCategory;
  action: PolicyAction;
  scope: PolicyScope;
  scope_agent_id: string | null;
  condition: string;
  status: PolicyRuleStatus;
  source_type: PolicySourceType;
  source_pattern_id: string | null;
  source_recovery_id: string | null;
  generation_confidence: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface PolicyView {
  id: string;
  name: string;
  description: string;
  category: PolicyCategory;
  action: PolicyAction;
  scope: PolicyScope;
  scopeAgentId: string | null;
  condition: string;
  status: PolicyRuleStatus;
  sourceType: PolicySourceType;
  sourcePatternId: string | null;
  sourceRecoveryId: string | null;
  generationConfidence: number | null;
  createdAt: string;
  updatedAt: string;
}

export const policyView = (r: PolicyRow): PolicyView => ({
  id: r.id,
  name: r.name,
  description: r.description,
  category: r.category,
  action: r.action,
  scope: r.scope,
  scopeAgentId: r.scope_agent_id,
  condition: r.condition,
  status: r.status,
  sourceType: r.source_type,
  sourcePatternId: r.source_pattern_id,
  sourceRecoveryId: r.source_recovery_id,
  generationConfidence: r.generation_confidence,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});
