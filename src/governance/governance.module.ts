import { Module } from '@nestjs/common';
import { ActivatePolicyHandler } from './policies/activate-policy/activate-policy.handler.js';
import { CreatePolicyHandler } from './policies/create-policy/create-policy.handler.js';
import { DisablePolicyHandler } from './policies/disable-policy/disable-policy.handler.js';
import { GetPolicyHandler } from './policies/get-policy/get-policy.handler.js';
import { PoliciesController } from './policies/policies.controller.js';
import { PoliciesRepository } from './policies/policies.repository.js';
import { UpsertGeneratedPolicyHandler } from './policies/upsert-generated-policy/upsert-generated-policy.handler.js';
import { ApplyRoutingAdjustmentsHandler } from './routing/apply-routing-adjustments/apply-routing-adjustments.handler.js';
import { RegisterAgentsHandler } from './routing/register-agents/register-agents.handler.js';
import { RoutingController } from './routing/routing.controller.js';
import { RoutingRepository } from './routing/routing.repository.js';

/** Pillar 3, the governance layer: policy rules and engine, CARE routing. */
@Module({
  controllers: [PoliciesController, RoutingController],
  providers: [
    PoliciesRepository,
    RoutingRepository,
    CreatePolicyHandler,
    ActivatePolicyHandler,
    DisablePolicyHandler,
    UpsertGeneratedPolicyHandler,
    GetPolicyHandler,
    ApplyRoutingAdjustmentsHandler,
    RegisterAgentsHandler,
  ],
})
export class GovernanceModule {}
