import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { RoutingRepository } from '../routing.repository.js';
import { RegisterAgents } from './register-agents.command.js';

@CommandHandler(RegisterAgents)
export class RegisterAgentsHandler implements ICommandHandler<RegisterAgents> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly routing: RoutingRepository,
  ) {}

  execute({ tenantId, agentIds, capability }: RegisterAgents): Promise<void> {
    return this.tx.run(async () => {
      for (const agentId of agentIds) await this.routing.registerAgentAtCommit(tenantId, agentId, capability);
    });
  }
}
