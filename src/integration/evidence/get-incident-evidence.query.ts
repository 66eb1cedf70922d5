import { Query } from '@nestjs/cqrs';
import type { IncidentEvidence } from './evidence.view.js';

export interface GetIncidentEvidenceProps {
  tenantId: string;
  incidentId: string;
}

/** The evidence document of one incident; null when the tenant has no such incident. */
export interface GetIncidentEvidence extends GetIncidentEvidenceProps {}
export class GetIncidentEvidence extends Query<IncidentEvidence | null> {
  constructor(props: GetIncidentEvidenceProps) {
    super();
    Object.assign(this, props);
  }
}
