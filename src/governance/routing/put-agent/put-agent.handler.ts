import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { RoutingRepository } from '../routing.repository.js';
import { agentView, type AgentView } from '../routing.view.js';
import { PutAgent } from './put-agent.command.js';

@CommandHandler(PutAgent)
export class PutAgentHandler implements ICommandHandler<PutAgent> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly routing: RoutingRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ tenantId, agentId, capabilities, baseConfidence, actor = 'system' }: PutAgent): Promise<AgentView> {
    return this.tx.run(async () => {
      const before = await this.routing.findAgent(tenantId, agentId);
      const put = await this.routing.putAgent(tenantId, agentId, capabilities, baseConfidence);
      await this.audit.record({
        tenantId,
        actor,
        action: before ? 'agent.updated' : 'agent.registered',
        subject: { type: 'agent', id: agentId },
        before: before && { capabilities: before.capabilities, baseConfidence: before.base_confidence },
        after: { capabilities: put.capabilities, baseConfidence: put.base_confidence },
      });
      // With its learned trust, and its adjustments in effect by the database's clock (as the router's).
      const [row, adjustments, now] = await Promise.all([
        this.routing.findAgent(tenantId, agentId),
        this.routing.activeAdjustmentsOf(tenantId, [agentId]),
        this.tx.now(),
      ]);
      return agentView(row!, adjustments, now);
    });
  }
}
