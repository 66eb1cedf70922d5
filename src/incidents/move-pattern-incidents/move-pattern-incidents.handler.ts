import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { IncidentsRepository } from '../incidents.repository.js';
import { MovePatternIncidents } from './move-pattern-incidents.command.js';

@CommandHandler(MovePatternIncidents)
export class MovePatternIncidentsHandler implements ICommandHandler<MovePatternIncidents> {
  constructor(private readonly incidents: IncidentsRepository) {}

  async execute({ tenantId, fromPatternIds, toPatternId }: MovePatternIncidents): Promise<void> {
    await this.incidents.moveMatchedPattern(tenantId, fromPatternIds, toPatternId);
  }
}
