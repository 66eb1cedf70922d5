import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PoliciesRepository } from '../policies.repository.js';
import { MovePatternPolicy } from './move-pattern-policy.command.js';

@CommandHandler(MovePatternPolicy)
export class MovePatternPolicyHandler implements ICommandHandler<MovePatternPolicy> {
  constructor(private readonly policies: PoliciesRepository) {}

  execute({ tenantId, fromPatternIds, toPatternId }: MovePatternPolicy): Promise<string | null> {
    return this.policies.moveSourcePattern(tenantId, fromPatternIds, toPatternId);
  }
}
