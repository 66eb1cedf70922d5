import { Command } from '@nestjs/cqrs';
import type { AuditCheckpoint } from '../chain/checkpoint.js';

export interface CreateAuditCheckpointProps {
  tenantId: string;
  /** periodic: skipped when the head has not moved since the latest checkpoint, or another replica is at it. */
  kind: 'periodic' | 'on_demand';
}
export interface CreateAuditCheckpoint extends CreateAuditCheckpointProps {}
/**
 * Signs the tenant's chain head, once the entries since the latest checkpoint are checked to link
 * up to it: a checkpoint never vouches for a broken chain (409 naming where it breaks).
 * null: nothing to sign (periodic only).
 */
export class CreateAuditCheckpoint extends Command<AuditCheckpoint | null> {
  constructor(props: CreateAuditCheckpointProps) {
    super();
    Object.assign(this, props);
  }
}
