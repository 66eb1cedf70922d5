import { Query } from '@nestjs/cqrs';
import type { PatternView } from '../pattern.view.js';

export type { PatternView };

export interface GetPatternProps {
  tenantId: string;
  patternId: string;
}

export interface GetPattern extends GetPatternProps {}
export class GetPattern extends Query<PatternView | null> {
  constructor(props: GetPatternProps) {
    super();
    Object.assign(this, props);
  }
}
