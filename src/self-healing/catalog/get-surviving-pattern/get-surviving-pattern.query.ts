import { Query } from '@nestjs/cqrs';
import type { PatternView } from '../pattern.view.js';

export interface GetSurvivingPatternProps {
  tenantId: string;
  patternId: string;
}

/**
 * The pattern `patternId` stands for now: itself, or the pattern it was merged into (following
 * merges to the end), held against a merge until the transaction ends. For work that takes a
 * pattern id from an event written before a merge (a bridge): it lands on the survivor,
 * and a merge running at the same time waits for it, then moves what it wrote (DESIGN §8).
 * Null when the tenant has no such pattern.
 */
export interface GetSurvivingPattern extends GetSurvivingPatternProps {}
export class GetSurvivingPattern extends Query<PatternView | null> {
  constructor(props: GetSurvivingPatternProps) {
    super();
    Object.assign(this, props);
  }
}
