import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { FailurePatternRepository, patternView } from '../failure-pattern.repository.js';
import { GetPattern } from './get-pattern.query.js';

@QueryHandler(GetPattern)
export class GetPatternHandler implements IQueryHandler<GetPattern> {
  constructor(private readonly patterns: FailurePatternRepository) {}

  async execute({ tenantId, patternId }: GetPattern) {
    const row = await this.patterns.find(tenantId, patternId);
    return row ? patternView(row) : null;
  }
}
