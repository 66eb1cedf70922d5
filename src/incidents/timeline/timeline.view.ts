import { ApiProperty } from '@nestjs/swagger';
import type { DecisionKind } from '../record-decision/record-decision.command.js';

export type TimelineKind = 'incident_created' | DecisionKind;
const TIMELINE_KINDS: TimelineKind[] = [
  'incident_created',
  'pattern_match',
  'recovery',
  'policy',
  'routing',
  'evaluation',
  'killswitch',
  'lifecycle',
  'patch',
  'run',
];

/** One decision that touched an incident. */
export class TimelineItem {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ enum: TIMELINE_KINDS }) kind!: TimelineKind;
  @ApiProperty() summary!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) details!: Record<string, unknown>;
}

/** `GET /incidents/:id/timeline`. */
export class IncidentTimeline {
  @ApiProperty({ format: 'uuid' }) incidentId!: string;
  /** The policy the incident's pattern produced, whose later evaluations are listed (null: none yet). */
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) policyId!: string | null;
  /** In time order: the incident's creation, its decisions, then evaluations that matched its policy. */
  @ApiProperty({ type: [TimelineItem] }) items!: TimelineItem[];
  /** True when more evaluations matched than `evaluationLimit`; only the newest are listed. */
  @ApiProperty() truncated!: boolean;
  @ApiProperty() evaluationLimit!: number;
}
