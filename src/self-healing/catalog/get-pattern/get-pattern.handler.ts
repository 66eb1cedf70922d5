import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { FailurePatternRepository } from '../failure-pattern.repository.js';
import { patternView } from '../pattern.view.js';
import { GetPattern } from './get-pattern.query.js';

@QueryHandler(GetPattern)
export class GetPatternHandler implements IQueryHandler<GetPattern> {
  constructor(private readonly patterns: FailurePatternRepository) {}

  async execute({ tenantId, patternId }: GetPattern) {
    // Inside a transaction (a bridge-3 batch, an evidence export), each pattern is read once.
    const row = await this.patterns.findOnce(tenantId, patternId);
    return row ? patternView(row) : null;
  }
}
