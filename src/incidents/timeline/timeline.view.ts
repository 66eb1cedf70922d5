import type { DecisionKind } from '../record-decision/record-decision.command.js';

export type TimelineKind = 'incident_created' | DecisionKind;

/** One decision that touched an incident. */
export interface TimelineItem {
  at: string;
  kind: TimelineKind;
  summary: string;
  details: Record<string, unknown>;
}

/** `GET /incidents/:id/timeline`. */
export interface IncidentTimeline {
  incidentId: string;
  /** The policy the incident's pattern produced, whose later evaluations are listed (null: none yet). */
  policyId: string | null;
  /** In time order: the incident's creation, its decisions, then evaluations that matched its policy. */
  items: TimelineItem[];
  /** True when more evaluations matched than `evaluationLimit`; only the newest are listed. */
  truncated: boolean;
  evaluationLimit: number;
}
