import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { RoutingRepository } from '../routing.repository.js';
import { agentView, type AgentView } from '../routing.view.js';
import { PutAgent } from './put-agent.command.js';

@CommandHandler(PutAgent)
export class PutAgentHandler implements ICommandHandler<PutAgent> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly routing: RoutingRepository,
  ) {}

  execute({ tenantId, agentId, capabilities, baseConfidence }: PutAgent): Promise<AgentView> {
    return this.tx.run(async () => {
      await this.routing.putAgent(tenantId, agentId, capabilities, baseConfidence);
      const row = (await this.routing.findAgent(tenantId, agentId))!; // with its learned trust
      const now = new Date();
      return agentView(row, await this.routing.activeAdjustmentsOf(tenantId, [agentId], now), now);
    });
  }
}
