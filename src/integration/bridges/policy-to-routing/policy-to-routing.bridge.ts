import { CommandBus, EventBus, EventsHandler, QueryBus, type IEventHandler } from '@nestjs/cqrs';
import { PolicyActivated } from '../../../governance/events/policy-activated.event.js';
import { PolicyGenerated } from '../../../governance/events/policy-generated.event.js';
import { RoutingAdjusted } from '../../../governance/events/routing-adjusted.event.js';
import { GetPolicy } from '../../../governance/policies/get-policy/get-policy.query.js';
import { ApplyRoutingAdjustments } from '../../../governance/routing/apply-routing-adjustments/apply-routing-adjustments.command.js';
import { RecordDecision } from '../../../incidents/record-decision/record-decision.command.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import { GetPattern } from '../../../self-healing/catalog/get-pattern/get-pattern.query.js';
import { stageTiming } from '../../events/stage-timing.js';

/** Bridge 4: adjusts CARE routing for the agents the policy's pattern affected. */
@EventsHandler(PolicyGenerated, PolicyActivated)
@OutboxHandler({ name: 'bridge_4.policy-to-routing', flag: 'bridge_4', loopStage: 'routing_adjusted' })
export class PolicyToRoutingBridge implements IEventHandler<PolicyGenerated | PolicyActivated> {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly eventBus: EventBus,
  ) {}

  async handle(e: PolicyGenerated | PolicyActivated): Promise<void> {
    const policy = await this.queries.execute(new GetPolicy(e.tenantId, e.policyId));
    if (!policy) throw new Error(`policy ${e.policyId} not found`);
    const pattern = policy.sourcePatternId ? await this.queries.execute(new GetPattern(e.tenantId, policy.sourcePatternId)) : null;
    // A manual policy has no incidents behind it: it affects the agent it is scoped to, if any.
    const agents = pattern ? pattern.affectedAgents : policy.scopeAgentId ? [policy.scopeAgentId] : [];
    const capabilities = pattern ? pattern.capabilities : [];
    const result = await this.commands.execute(new ApplyRoutingAdjustments(e.tenantId, policy.id, agents, capabilities));
    await this.commands.execute(
      new RecordDecision(e.tenantId, e.incidentId ?? null, 'routing', `${result.adjustmentCount} routing adjustment(s) for ${result.affectedAgents.length} agent(s) from ${policy.status} policy`, { policyId: policy.id, ...result }),
    );
    await this.eventBus.publish(new RoutingAdjusted(e.tenantId, e.incidentId ?? null, policy.id, result.affectedAgents, result.adjustmentCount, stageTiming()));
  }
}
