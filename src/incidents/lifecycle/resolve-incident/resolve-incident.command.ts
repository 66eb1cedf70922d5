import { Command } from '@nestjs/cqrs';
import type { IncidentView } from '../../incident.view.js';

export interface ResolveIncidentResult {
  incident: IncidentView;
  /** False when it was already resolved: nothing changed, nothing was recorded. */
  changed: boolean;
}

/** The `resolvedBy` of an incident a verified run resolved. */
export const resolvedByRun = (runId: string) => `run ${runId}`;

/**
 * SQL: the incident's `resolved_by` is a run's (resolvedByRun), exactly `run <run id>`. An
 * operator's is `<key name> (<key id>)`, so a key named "run …" never matches.
 */
export const RESOLVED_BY_RUN_SQL = `resolved_by ~ '^run [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;

export interface ResolveIncidentProps {
  tenantId: string;
  incidentId: string;
  /** An operator's actor string, `run <id>` (resolvedByRun), or `monitoring`. */
  resolvedBy: string;
  /** Absent: none. */
  note?: string | null;
  /**
   * A run's (resolvedByRun): whether a person had a hand in it (approved it, finished, retried or
   * skipped a step). Absent for an operator's or monitoring's resolution.
   */
  personActed?: boolean;
  /** Monitoring's: when the alert ended by its own clock (the resolved alert's `endsAt`), if it said. */
  alertEndedAt?: Date | null;
}

/**
 * Resolves an incident: by an operator, by a verified recovery run, or by the monitoring that
 * reported it. Resolving twice changes nothing the second time (the HTTP route answers 409).
 */
export interface ResolveIncident extends ResolveIncidentProps {}
export class ResolveIncident extends Command<ResolveIncidentResult> {
  constructor(props: ResolveIncidentProps) {
    super();
    Object.assign(this, props);
  }
}
