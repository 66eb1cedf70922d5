import { Command } from '@nestjs/cqrs';
import type { IncidentSource, IncidentView } from '../incident.view.js';
import type { ReportIncidentDto } from './report-incident.dto.js';

/** Who reported an incident; an alert's fingerprint deduplicates it against an unresolved incident. */
export interface IncidentOrigin {
  source: IncidentSource;
  fingerprint?: string | null;
}

/** The fields of an incident report (`POST /incidents`'s body), for other modules that report incidents. */
export type ReportIncidentInput = ReportIncidentDto;

export interface ReportIncidentResult {
  incident: IncidentView;
  /** The Idempotency-Key was used before: the earlier incident, nothing new written. */
  replayed: boolean;
  /** Its fingerprint has an unresolved incident: that one's repeat count went up, no new incident, no new loop. */
  deduplicated: boolean;
}

/**
 * How long ago an incident may have occurred (30 days): an older occurredAt is a 400 for POST
 * /incidents, and replaced by the receipt time for other reporters, so they check it first.
 */
export { MAX_INCIDENT_AGE_MS } from './occurred-at.js';

export interface ReportIncidentProps {
  tenantId: string;
  input: ReportIncidentDto;
  idempotencyKey: string | null;
  /** Default: `{ source: 'api' }`. */
  origin?: IncidentOrigin;
  /**
   * An occurredAt outside its bounds at the receipt time: 'refuse' (the default), a 400 naming it,
   * for a reporter that reads the answer (POST /incidents); 'receipt-time', stored as the receipt
   * time, for one that does not (monitoring's alerts, degradation detection).
   */
  occurredAtOutOfBounds?: 'refuse' | 'receipt-time';
}

export interface ReportIncident extends ReportIncidentProps {}
export class ReportIncident extends Command<ReportIncidentResult> {
  constructor(props: ReportIncidentProps) {
    super();
    Object.assign(this, props);
  }
}
