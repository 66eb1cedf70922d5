import { Command } from '@nestjs/cqrs';
import type { RecoveryRow } from '../recovery.repository.js';

export interface SetRecoveryExpiryProps {
  tenantId: string;
  recoveryId: string;
  expiresAt: Date;
  actor: string;
}

/**
 * An operator moves when a recovery waiting for review expires (an approval that can wait longer,
 * or less). Audited; 404 for another tenant's recovery, 400 naming `expiresAt` unless it is in the
 * future (by the database's clock), 409 once it no longer waits for review.
 */
export interface SetRecoveryExpiry extends SetRecoveryExpiryProps {}
export class SetRecoveryExpiry extends Command<RecoveryRow> {
  constructor(props: SetRecoveryExpiryProps) {
    super();
    Object.assign(this, props);
  }
}
