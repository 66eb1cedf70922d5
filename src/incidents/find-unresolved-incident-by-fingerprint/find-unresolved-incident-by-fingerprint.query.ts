import { Query } from '@nestjs/cqrs';
import type { IncidentView } from '../incident.view.js';

export interface FindUnresolvedIncidentByFingerprintProps {
  tenantId: string;
  fingerprint: string;
}

/** The open or mitigating incident of an alert's fingerprint (null: none), for the monitoring that resolves it. */
export interface FindUnresolvedIncidentByFingerprint extends FindUnresolvedIncidentByFingerprintProps {}
export class FindUnresolvedIncidentByFingerprint extends Query<IncidentView | null> {
  constructor(props: FindUnresolvedIncidentByFingerprintProps) {
    super();
    Object.assign(this, props);
  }
}
