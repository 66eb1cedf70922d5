import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { IncidentsRepository } from '../incidents.repository.js';
import { LinkIncidentToPattern } from './link-incident-to-pattern.command.js';

@CommandHandler(LinkIncidentToPattern)
export class LinkIncidentToPatternHandler implements ICommandHandler<LinkIncidentToPattern> {
  constructor(private readonly incidents: IncidentsRepository) {}

  async execute({ tenantId, incidentId, patternId }: LinkIncidentToPattern): Promise<void> {
    await this.incidents.setMatchedPattern(tenantId, incidentId, patternId);
  }
}
