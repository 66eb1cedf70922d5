import { Query } from '@nestjs/cqrs';

export interface ListPatternSamplesProps {
  tenantId: string;
  patternId: string;
  limit: number;
}

/** A few distinct messages of a pattern's incidents, newest first (what a coding agent reads as samples). */
export interface ListPatternSamples extends ListPatternSamplesProps {}
export class ListPatternSamples extends Query<string[]> {
  constructor(props: ListPatternSamplesProps) {
    super();
    Object.assign(this, props);
  }
}
