import { Query } from '@nestjs/cqrs';
import type { IncidentView } from '../incident.view.js';

/** The open or mitigating incident of an alert's fingerprint (null: none), for the monitoring that resolves it. */
export class FindUnresolvedIncidentByFingerprint extends Query<IncidentView | null> {
  readonly tenantId: string;
  readonly fingerprint: string;

  constructor(props: { tenantId: string; fingerprint: string }) {
    super();
    this.tenantId = props.tenantId;
    this.fingerprint = props.fingerprint;
  }
}
