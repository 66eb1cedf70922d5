import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { IncidentsRepository } from '../incidents.repository.js';
import { ListPatternSamples } from './list-pattern-samples.query.js';

@QueryHandler(ListPatternSamples)
export class ListPatternSamplesHandler implements IQueryHandler<ListPatternSamples> {
  constructor(private readonly incidents: IncidentsRepository) {}

  execute({ tenantId, patternId, limit }: ListPatternSamples): Promise<string[]> {
    return this.incidents.recentMessagesOfPattern(tenantId, patternId, limit);
  }
}
