import type { DomainEvent } from '../outbox/domain-event.js';

export interface AuditVerificationFailedProps {
  tenantId: string;
  /** The first entry that can no longer be trusted. */
  firstBrokenSeq: number;
  problem: string;
  /** What found it: `GET /audit/verify`, a checkpoint refusing to sign over a broken chain, or the scheduled verification. */
  foundBy: 'verify' | 'checkpoint' | 'schedule';
  /** Not about one incident (the outbox keys loop events by incident). */
  incidentId: null;
}

/** A tenant's audit chain did not verify (DESIGN §12): notification rules may tell people (audit.verify_failed). */
export interface AuditVerificationFailed extends AuditVerificationFailedProps {}
export class AuditVerificationFailed implements DomainEvent {
  constructor(props: AuditVerificationFailedProps) {
    Object.assign(this, props);
  }
}
