import { Query } from '@nestjs/cqrs';
import type { IncidentEvidence } from './evidence.view.js';

/** The evidence document of one incident; null when the tenant has no such incident. */
export class GetIncidentEvidence extends Query<IncidentEvidence | null> {
  constructor(
    readonly tenantId: string,
    readonly incidentId: string,
  ) {
    super();
  }
}
