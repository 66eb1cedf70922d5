import { Command } from '@nestjs/cqrs';
import type { MatchedPolicy, PolicyDecisionValue } from './policy-engine.js';

export interface PolicyDecision {
  decision: PolicyDecisionValue;
  /** Policies whose condition held: active ones decide, drafts are shadow (reported only). Empty when the kill switch decided. */
  matched: MatchedPolicy[];
  /** The policy_evaluations row that records this decision. */
  evaluationId: string;
  /** The tenant's kill switch, or the agent's, is on: the decision is `block` whatever the policies say. */
  killSwitch: boolean;
}

export interface PolicyEvaluationRequest {
  agentId?: string | null;
  capability?: string | null;
  context?: Record<string, unknown> | null;
}

export interface EvaluatePoliciesProps {
  tenantId: string;
  request: PolicyEvaluationRequest;
}

/**
 * Decides a request against the tenant's policies (global, tenant, and those scoped to the
 * agent) and the kill switch, and records the decision. Joins the caller's transaction.
 */
export interface EvaluatePolicies extends EvaluatePoliciesProps {}
export class EvaluatePolicies extends Command<PolicyDecision> {
  constructor(props: EvaluatePoliciesProps) {
    super();
    Object.assign(this, props);
  }
}
