import { NotFoundException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../../../platform/database/transaction-host.js';
import { RuleRepository } from '../rule.repository.js';
import { DeleteRule } from './delete-rule.command.js';

@CommandHandler(DeleteRule)
export class DeleteRuleHandler implements ICommandHandler<DeleteRule> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly rules: RuleRepository,
  ) {}

  execute({ tenantId, name }: DeleteRule): Promise<void> {
    return this.tx.run(async () => {
      if (!(await this.rules.delete(tenantId, name)))
        throw new NotFoundException(`notification rule ${name} not found`);
    });
  }
}
