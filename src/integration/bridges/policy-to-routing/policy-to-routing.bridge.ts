import { CommandBus, EventBus, EventsHandler, QueryBus, type IEventHandler } from '@nestjs/cqrs';
import { PolicyActivated } from '../../../governance/events/policy-activated.event.js';
import { PolicyGenerated } from '../../../governance/events/policy-generated.event.js';
import { RoutingAdjusted } from '../../../governance/events/routing-adjusted.event.js';
import { GetPolicy } from '../../../governance/policies/get-policy/get-policy.query.js';
import { ApplyRoutingAdjustments } from '../../../governance/routing/apply-routing-adjustments/apply-routing-adjustments.command.js';
import { GetIncident } from '../../../incidents/get-incident/get-incident.query.js';
import { RecordDecision } from '../../../incidents/record-decision/record-decision.command.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import { stageTiming } from '../../events/stage-timing.js';

/** Bridge 4: adjusts CARE routing for the agents the policy's pattern affected (each with its incident). */
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
    // The incident's agent and capability get (or refresh) their adjustment; agents of the pattern's
    // earlier incidents got theirs with those incidents. An activation, with no incident, re-applies
    // every existing adjustment (temporary ones become lasting), or the agent a manual policy names.
    const incident = e.incidentId ? await this.queries.execute(new GetIncident(e.tenantId, e.incidentId)) : null;
    const agents = incident?.agentId ? [incident.agentId] : [];
    const capabilities = incident?.capability ? [incident.capability] : [];
    const result = await this.commands.execute(new ApplyRoutingAdjustments(e.tenantId, policy.id, agents, capabilities));
    await this.commands.execute(
      new RecordDecision(e.tenantId, e.incidentId ?? null, 'routing', `${result.adjustmentCount} routing adjustment(s) for ${result.affectedAgents.length} agent(s) from ${policy.status} policy`, { policyId: policy.id, ...result }),
    );
    await this.eventBus.publish(new RoutingAdjusted(e.tenantId, e.incidentId ?? null, policy.id, result.affectedAgents, result.adjustmentCount, stageTiming()));
  }
}
