import { Query } from '@nestjs/cqrs';
import type { Playbook } from '../playbook-catalog.js';
import type { RecoveryStatus } from '../recovery.repository.js';

export interface RecoveryWithPlaybook {
  id: string;
  patternId: string;
  playbookId: string;
  confidence: number;
  status: RecoveryStatus;
  /** Null when the playbook has since left the catalog. */
  playbook: Pick<Playbook, 'id' | 'name' | 'policy'> | null;
}

export interface GetRecoveryProps {
  tenantId: string;
  recoveryId: string;
}

export interface GetRecovery extends GetRecoveryProps {}
export class GetRecovery extends Query<RecoveryWithPlaybook | null> {
  constructor(props: GetRecoveryProps) {
    super();
    Object.assign(this, props);
  }
}
