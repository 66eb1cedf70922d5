import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { RunsRepository } from '../runs.repository.js';
import { MovePatternRuns } from './move-pattern-runs.command.js';

@CommandHandler(MovePatternRuns)
export class MovePatternRunsHandler implements ICommandHandler<MovePatternRuns> {
  constructor(private readonly runs: RunsRepository) {}

  execute(c: MovePatternRuns): Promise<void> {
    return this.runs.movePattern(c.tenantId, c.fromPatternIds, c.toPatternId);
  }
}
