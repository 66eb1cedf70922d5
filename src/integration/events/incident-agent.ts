/**
 * The agent and capability an incident named, carried along the loop's events so that bridge 4
 * need not read the incident again. Absent on events stored before it was carried and on those
 * that start from a review (RecoveryApplied): their reader looks the incident up instead.
 */
export interface IncidentAgent {
  agentId: string | null;
  capability: string | null;
}
