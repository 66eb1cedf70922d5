import { Query } from '@nestjs/cqrs';

/** A few distinct messages of a pattern's incidents, newest first (what a coding agent reads as samples). */
export class ListPatternSamples extends Query<string[]> {
  readonly tenantId: string;
  readonly patternId: string;
  readonly limit: number;
  constructor(props: { tenantId: string; patternId: string; limit: number }) {
    super();
    this.tenantId = props.tenantId;
    this.patternId = props.patternId;
    this.limit = props.limit;
  }
}
