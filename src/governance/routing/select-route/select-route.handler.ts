import { CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { GetKillSwitchState, killSwitchStops } from '../../../incidents/killswitch/get-killswitch-state.query.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { uuidv7 } from '../../../platform/ids/uuid-v7.js';
import { PolicyDecisionPoint } from '../../policies/evaluate-policies/policy-decision-point.js';
import type { EngineResult } from '../../policies/evaluate-policies/policy-engine.js';
import { EvaluationsRepository, type NewEvaluationRow } from '../../policies/evaluations.repository.js';
import { RoutingRepository, type AgentRow, type AdjustmentRow } from '../routing.repository.js';
import { baseFor } from '../routing.view.js';
import { assessCandidate, selectRoute } from './route-selector.js';
import { SelectRoute, type RouteDecision } from './select-route.command.js';

@CommandHandler(SelectRoute)
export class SelectRouteHandler implements ICommandHandler<SelectRoute> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly queries: QueryBus,
    private readonly routing: RoutingRepository,
    private readonly pdp: PolicyDecisionPoint,
    private readonly evaluations: EvaluationsRepository,
  ) {}

  async execute({ tenantId, input }: SelectRoute): Promise<RouteDecision> {
    const { capability } = input;
    const context = input.context ?? {};
    // Fails closed: if the kill switch cannot be read, nothing is routed (the error propagates).
    const killSwitch = await this.queries.execute(new GetKillSwitchState({ tenantId }));

    return this.tx.run(async () => {
      // One clock for the whole decision, the database's (an adjustment's expiry is set and listed by it):
      // adjustments expiring "now" count or not for every candidate alike. Read with the first statement.
      let agents: AgentRow[];
      let now: Date;
      if (input.candidates) {
        const named = [...new Set(input.candidates)];
        // Naming an agent registers it (base confidence 1) and merges the capability, as incidents do.
        [now] = await Promise.all([this.tx.now(), this.routing.registerAgents(tenantId, named, [capability])]);
        agents = await this.routing.findAgents(tenantId, named);
      } else {
        [now, agents] = await Promise.all([this.tx.now(), this.routing.agentsWithCapability(tenantId, capability)]);
      }
      const adjustments = await this.routing.activeAdjustmentsOf(
        tenantId,
        agents.map((a) => a.id),
      );
      const byAgent = new Map<string, AdjustmentRow[]>();
      for (const a of adjustments) byAgent.set(a.agent_id, [...(byAgent.get(a.agent_id) ?? []), a]);

      const records: NewEvaluationRow[] = [];
      const assessed = [];
      for (const agent of agents) {
        const killed = killSwitchStops(killSwitch, agent.id);
        let policy: EngineResult | null = null;
        if (!killed) policy = await this.pdp.evaluate({ tenantId, agentId: agent.id, capability, context });
        records.push({
          id: uuidv7(),
          agent_id: agent.id,
          capability,
          context,
          decision: policy ? policy.decision : 'block',
          matched: policy ? policy.matched : [],
          kill_switch: killed,
        });
        assessed.push(
          assessCandidate(
            {
              agentId: agent.id,
              baseConfidence: baseFor(agent, capability),
              adjustments: byAgent.get(agent.id) ?? [],
              policy,
              agentKillSwitch: killSwitch.blockedAgents.includes(agent.id),
            },
            capability,
            now,
            killSwitch.tenantActive,
          ),
        );
      }
      const selection = selectRoute(capability, assessed, killSwitch.tenantActive);
      const decisionId = uuidv7();
      await this.evaluations.insert(tenantId, records);
      await this.routing.insertDecision({
        id: decisionId,
        tenantId,
        capability,
        chosenAgentId: selection.agentId,
        needsHumanCheckpoint: selection.needsHumanCheckpoint,
        reason: selection.reason,
        candidates: selection.candidates,
      });
      return {
        decisionId,
        capability,
        agentId: selection.agentId,
        reason: selection.reason,
        needsHumanCheckpoint: selection.needsHumanCheckpoint,
        candidates: selection.candidates,
      };
    });
  }
}
