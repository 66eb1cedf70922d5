import { Command } from '@nestjs/cqrs';
import type { IncidentView } from '../../incident.view.js';

export interface ResolveIncidentResult {
  incident: IncidentView;
  /** False when it was already resolved: nothing changed, nothing was recorded. */
  changed: boolean;
}

export interface ResolveIncidentProps {
  tenantId: string;
  incidentId: string;
  /** An operator's actor string, `run <id>`, or `monitoring`. */
  resolvedBy: string;
  /** Absent: none. */
  note?: string | null;
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
