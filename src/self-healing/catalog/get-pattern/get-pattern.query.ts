import { Query } from '@nestjs/cqrs';
import type { PatternView } from '../pattern.view.js';

export type { PatternView };

export class GetPattern extends Query<PatternView | null> {
  constructor(
    readonly tenantId: string,
    readonly patternId: string,
  ) {
    super();
  }
}
