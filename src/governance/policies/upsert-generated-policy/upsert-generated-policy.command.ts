import { Command } from '@nestjs/cqrs';
import type { PolicyAction, PolicyCategory, PolicyGenerationInput, PolicyScope } from '../policy-generator.js';
import type { PolicyRuleStatus } from '../policy.view.js';

export interface UpsertGeneratedPolicyResult {
  policyId: string;
  /** false: the pattern already had a policy, which was updated. */
  isNew: boolean;
  /** The stored status (an active or disabled policy keeps its status). */
  status: PolicyRuleStatus;
  action: PolicyAction;
  category: PolicyCategory;
  scope: PolicyScope;
  /** The generation confidence just computed. */
  confidence: number;
}

export interface UpsertGeneratedPolicyProps {
  tenantId: string;
  input: PolicyGenerationInput;
}

/**
 * Bridge 3: derive the pattern's prevention policy from its recovery and store it, one
 * policy per (tenant, pattern). Joins the caller's transaction.
 */
export interface UpsertGeneratedPolicy extends UpsertGeneratedPolicyProps {}
export class UpsertGeneratedPolicy extends Command<UpsertGeneratedPolicyResult> {
  constructor(props: UpsertGeneratedPolicyProps) {
    super();
    Object.assign(this, props);
  }
}
