import { ApiProperty } from '@nestjs/swagger';
// Governance's policy vocabulary; playbooks (self-healing) name their policy hint in it.
export const POLICY_CATEGORIES = ['safety', 'privacy', 'operational', 'routing', 'custom'] as const;
export const POLICY_ACTIONS = ['block', 'warn', 'escalate', 'route_away'] as const;
export const POLICY_SCOPES = ['global', 'tenant', 'agent'] as const;
export type PolicyCategory = (typeof POLICY_CATEGORIES)[number];
export type PolicyAction = (typeof POLICY_ACTIONS)[number];
export type PolicyScope = (typeof POLICY_SCOPES)[number];
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

export class PolicyView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ enum: POLICY_CATEGORIES }) category!: PolicyCategory;
  @ApiProperty({ enum: POLICY_ACTIONS }) action!: PolicyAction;
  @ApiProperty({ enum: POLICY_SCOPES }) scope!: PolicyScope;
  @ApiProperty({ type: String, nullable: true }) scopeAgentId!: string | null;
  @ApiProperty() condition!: string;
  @ApiProperty({ enum: POLICY_STATUSES }) status!: PolicyRuleStatus;
  @ApiProperty({ enum: POLICY_SOURCE_TYPES }) sourceType!: PolicySourceType;
  @ApiProperty({ type: String, nullable: true }) sourcePatternId!: string | null;
  @ApiProperty({ type: String, nullable: true }) sourceRecoveryId!: string | null;
  @ApiProperty({ type: Number, nullable: true }) generationConfidence!: number | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class PolicyPage {
  @ApiProperty({ type: [PolicyView] }) items!: PolicyView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
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
