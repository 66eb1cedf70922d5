import { Query } from '@nestjs/cqrs';
import type { RecoveryStatus } from '../recovery.repository.js';

/** A recovery of an incident as it stands now (not as it was suggested). */
export interface IncidentRecovery {
  id: string;
  playbookId: string;
  playbookName: string | null;
  status: RecoveryStatus;
  decidedBy: string | null;
  decidedAt: string | null;
  createdAt: string;
}

export interface ListIncidentRecoveriesProps {
  tenantId: string;
  incidentId: string;
}

/** The incident's recoveries, all of them, oldest first (for the evidence export). */
export interface ListIncidentRecoveries extends ListIncidentRecoveriesProps {}
export class ListIncidentRecoveries extends Query<IncidentRecovery[]> {
  constructor(props: ListIncidentRecoveriesProps) {
    super();
    Object.assign(this, props);
  }
}
