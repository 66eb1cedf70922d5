import { Query } from '@nestjs/cqrs';

/** What the incidents say about a fix's watch window: whether the fault came back inside it (DESIGN §8 "recurrence"). */
export interface RecurrenceEvidence {
  /** The first new incident of the pattern on the agent and capability that occurred inside the window. */
  newIncident: { id: string; occurredAt: string } | null;
  /**
   * A time inside the window at which the fixed incident's alert fired again (a re-fire after its
   * end is not counted): a repeat on the incident, or, once it was resolved, another incident of the
   * alert (same fingerprint) received or repeated inside the window.
   */
  refiredAt: string | null;
  /** Incidents on the agent and capability that occurred inside the window and are not filed under a pattern yet. */
  unfiled: number;
  /** When monitoring resolved the fixed incident, if it did so from the window's start on (not before the fix was through). */
  resolvedByMonitoringAt: string | null;
}

export interface FindRecurrenceProps {
  tenantId: string;
  /** The incident the fix was for (null: a run without one). */
  incidentId: string | null;
  /** Null: a run without a pattern, whose fault cannot come back as a new incident of it. */
  patternId: string | null;
  agentId: string | null;
  capability: string | null;
  from: Date;
  until: Date;
}

/**
 * Judged by when things occurred, not when they were processed: an incident reported with an
 * `occurredAt` inside [from, until) counts however late bridge 1 or 2 get to it.
 */
export interface FindRecurrence extends FindRecurrenceProps {}
export class FindRecurrence extends Query<RecurrenceEvidence> {
  constructor(props: FindRecurrenceProps) {
    super();
    Object.assign(this, props);
  }
}
