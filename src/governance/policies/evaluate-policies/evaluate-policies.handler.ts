import { CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { GetKillSwitchState, killSwitchStops } from '../../../incidents/killswitch/get-killswitch-state.query.js';
import { uuidv7 } from '../../../platform/ids/uuid-v7.js';
import { EvaluationsRepository } from '../evaluations.repository.js';
import { EvaluatePolicies, type PolicyDecision } from './evaluate-policies.command.js';
import { PolicyDecisionPoint } from './policy-decision-point.js';

@CommandHandler(EvaluatePolicies)
export class EvaluatePoliciesHandler implements ICommandHandler<EvaluatePolicies> {
  constructor(
    private readonly queries: QueryBus,
    private readonly pdp: PolicyDecisionPoint,
    private readonly evaluations: EvaluationsRepository,
  ) {}

  async execute({ tenantId, request }: EvaluatePolicies): Promise<PolicyDecision> {
    const agentId = request.agentId || null;
    const capability = request.capability || null;
    const context = request.context ?? {};
    // Fails closed: if the kill switch cannot be read, no decision is made (the error propagates).
    const killSwitch = await this.queries.execute(new GetKillSwitchState({ tenantId }));
    const killed = killSwitchStops(killSwitch, agentId);
    const { decision, matched } = killed
      ? { decision: 'block' as const, matched: [] }
      : await this.pdp.evaluate({ tenantId, agentId, capability, context });
    const evaluationId = uuidv7();
    await this.evaluations.insert(tenantId, [
      { id: evaluationId, agent_id: agentId, capability, context, decision, matched, kill_switch: killed },
    ]);
    return { decision, matched, evaluationId, killSwitch: killed };
  }
}
