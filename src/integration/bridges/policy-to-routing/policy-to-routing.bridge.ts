import { CommandBus, EventBus, EventsHandler, QueryBus, type IEventHandler } from '@nestjs/cqrs';
import { PolicyActivated } from '../../../governance/events/policy-activated.event.js';
import { ApplyRoutingAdjustments } from '../../../governance/routing/apply-routing-adjustments/apply-routing-adjustments.command.js';
import { GetIncident } from '../../../incidents/get-incident/get-incident.query.js';
import { RecordDecision } from '../../../incidents/record-decision/record-decision.command.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import type { IncidentAgent } from '../../events/incident-agent.js';
import { PolicyGenerated } from '../../events/policy-generated.event.js';
import { RoutingAdjusted } from '../../events/routing-adjusted.event.js';
import { stageTiming } from '../../events/stage-timing.js';

/** Bridge 4: adjusts CARE routing for the agents the policy's pattern affected (each with its incident). */
@EventsHandler(PolicyGenerated, PolicyActivated)
@OutboxHandler({
  name: 'bridge_4.policy-to-routing',
  flag: 'bridge_4',
  loopStage: 'routing_adjusted',
  serializeBy: (e: PolicyGenerated | PolicyActivated) => e.policyId,
})
export class PolicyToRoutingBridge implements IEventHandler<PolicyGenerated | PolicyActivated> {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly eventBus: EventBus,
  ) {}

  async handle(e: PolicyGenerated | PolicyActivated): Promise<void> {
    // The incident's agent and capability get (or refresh) their adjustment; agents of the pattern's
    // earlier incidents got theirs with those incidents, and an incident that names no agent
    // renews none of them (a generated policy's scope agent is one of those: it is not written
    // either). An activation, with no incident, re-applies every existing adjustment (temporary
    // ones become lasting); a manual policy, with none, gets none (route selection evaluates it).
    const activation = e instanceof PolicyActivated;
    const named = await this.incidentAgent(e);
    const agents = named?.agentId ? [named.agentId] : [];
    const capabilities = named?.capability ? [named.capability] : [];
    const result = await this.commands.execute(
      new ApplyRoutingAdjustments({
        tenantId: e.tenantId,
        policyId: e.policyId,
        agents,
        capabilities,
        agentsRegistered: true,
        activation,
      }),
    );
    await this.commands.execute(
      new RecordDecision({
        tenantId: e.tenantId,
        incidentId: e.incidentId ?? null,
        kind: 'routing',
        summary: `${result.adjustmentCount} routing adjustment(s) for ${result.affectedAgents.length} agent(s) from ${result.policyStatus} policy`,
        details: { policyId: e.policyId, ...result },
      }),
    );
    await this.eventBus.publish(
      new RoutingAdjusted({
        tenantId: e.tenantId,
        incidentId: e.incidentId ?? null,
        policyId: e.policyId,
        affectedAgents: result.affectedAgents,
        adjustmentCount: result.adjustmentCount,
        adjustments: result.adjustments,
        timing: stageTiming(),
      }),
    );
  }

  /** Carried on the event from bridge 1 on; read from the incident when it is not. */
  private async incidentAgent(e: PolicyGenerated | PolicyActivated): Promise<IncidentAgent | null> {
    if (e instanceof PolicyGenerated && e.incidentAgent) return e.incidentAgent;
    return e.incidentId
      ? this.queries.execute(new GetIncident({ tenantId: e.tenantId, incidentId: e.incidentId }))
      : null;
  }
}
