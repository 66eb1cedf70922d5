import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DecisionsRepository } from '../decisions.repository.js';
import { RecordDecision } from './record-decision.command.js';

@CommandHandler(RecordDecision)
export class RecordDecisionHandler implements ICommandHandler<RecordDecision> {
  constructor(private readonly decisions: DecisionsRepository) {}

  execute(c: RecordDecision): Promise<void> {
    return this.decisions.record(c);
  }
}
