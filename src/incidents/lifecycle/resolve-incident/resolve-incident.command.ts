import { Command } from '@nestjs/cqrs';
import type { IncidentView } from '../../incident.view.js';

export interface ResolveIncidentResult {
  incident: IncidentView;
  /** False when it was already resolved: nothing changed, nothing was recorded. */
  changed: boolean;
}

/**
 * Resolves an incident: by an operator, by a verified recovery run, or by the monitoring that
 * reported it. Resolving twice changes nothing the second time (the HTTP route answers 409).
 */
export class ResolveIncident extends Command<ResolveIncidentResult> {
  readonly tenantId: string;
  readonly incidentId: string;
  /** An operator's actor string, `run <id>`, or `monitoring`. */
  readonly resolvedBy: string;
  readonly note: string | null;

  constructor(props: { tenantId: string; incidentId: string; resolvedBy: string; note?: string | null }) {
    super();
    this.tenantId = props.tenantId;
    this.incidentId = props.incidentId;
    this.resolvedBy = props.resolvedBy;
    this.note = props.note ?? null;
  }
}
