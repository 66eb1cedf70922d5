import { Module } from '@nestjs/common';
import { ActivatePolicyHandler } from './policies/activate-policy/activate-policy.handler.js';
import { CreatePolicyHandler } from './policies/create-policy/create-policy.handler.js';
import { DisablePolicyHandler } from './policies/disable-policy/disable-policy.handler.js';
import { EvaluatePoliciesHandler } from './policies/evaluate-policies/evaluate-policies.handler.js';
import { PolicyDecisionPoint } from './policies/evaluate-policies/policy-decision-point.js';
import { EvaluationsRepository } from './policies/evaluations.repository.js';
import { FindPolicyForPatternHandler } from './policies/find-policy-for-pattern/find-policy-for-pattern.handler.js';
import { GetPolicyHandler } from './policies/get-policy/get-policy.handler.js';
import { GetPolicyActivePeriodsHandler } from './policies/get-policy-active-periods/get-policy-active-periods.handler.js';
import { ListDraftPoliciesHandler } from './policies/list-draft-policies/list-draft-policies.handler.js';
import { ListEvaluationsHandler } from './policies/list-evaluations/list-evaluations.handler.js';
import { ListPoliciesHandler } from './policies/list-policies/list-policies.handler.js';
import { MovePatternPolicyHandler } from './policies/move-pattern-policy/move-pattern-policy.handler.js';
import { PoliciesController } from './policies/policies.controller.js';
import { PoliciesRepository } from './policies/policies.repository.js';
import { UpsertGeneratedPolicyHandler } from './policies/upsert-generated-policy/upsert-generated-policy.handler.js';
import { ApplyRoutingAdjustmentsHandler } from './routing/apply-routing-adjustments/apply-routing-adjustments.handler.js';
import { ListAdjustmentsHandler } from './routing/list-adjustments/list-adjustments.handler.js';
import { PutAgentHandler } from './routing/put-agent/put-agent.handler.js';
import { RegisterAgentsHandler } from './routing/register-agents/register-agents.handler.js';
import { RoutingController } from './routing/routing.controller.js';
import { RoutingRepository } from './routing/routing.repository.js';
import { SelectRouteHandler } from './routing/select-route/select-route.handler.js';
import { RecordRunOutcomeForTrustHandler } from './routing/trust/record-run-outcome-for-trust/record-run-outcome-for-trust.handler.js';
import { TrustRepository } from './routing/trust/trust.repository.js';

/** Pillar 3, the governance layer: policy rules and engine, CARE routing with the trust recovery runs teach it. */
@Module({
  controllers: [PoliciesController, RoutingController],
  providers: [
    ListPoliciesHandler,
    ListAdjustmentsHandler,
    PoliciesRepository,
    EvaluationsRepository,
    RoutingRepository,
    PolicyDecisionPoint,
    CreatePolicyHandler,
    ActivatePolicyHandler,
    DisablePolicyHandler,
    UpsertGeneratedPolicyHandler,
    GetPolicyHandler,
    MovePatternPolicyHandler,
    EvaluatePoliciesHandler,
    ListEvaluationsHandler,
    ListDraftPoliciesHandler,
    FindPolicyForPatternHandler,
    GetPolicyActivePeriodsHandler,
    ApplyRoutingAdjustmentsHandler,
    RegisterAgentsHandler,
    PutAgentHandler,
    SelectRouteHandler,
    TrustRepository,
    RecordRunOutcomeForTrustHandler,
  ],
})
export class GovernanceModule {}
