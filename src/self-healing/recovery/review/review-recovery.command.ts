import { Command } from '@nestjs/cqrs';
import type { RecoveryRow } from '../recovery.repository.js';

/** A reviewer's decision on a queued recovery. Approving applies it and emits RecoveryApplied. */
export class ReviewRecovery extends Command<RecoveryRow> {
  constructor(
    readonly tenantId: string,
    readonly recoveryId: string,
    readonly decision: 'applied' | 'rejected',
    readonly actor: string,
    readonly note: string | null,
  ) {
    super();
  }
}
