import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { FailurePatternRepository } from '../failure-pattern.repository.js';
import { patternView } from '../pattern.view.js';
import { GetSurvivingPattern } from './get-surviving-pattern.query.js';

@QueryHandler(GetSurvivingPattern)
export class GetSurvivingPatternHandler implements IQueryHandler<GetSurvivingPattern> {
  constructor(private readonly patterns: FailurePatternRepository) {}

  async execute({ tenantId, patternId }: GetSurvivingPattern) {
    const row = await this.patterns.survivorOnce(tenantId, patternId);
    return row ? patternView(row) : null;
  }
}
