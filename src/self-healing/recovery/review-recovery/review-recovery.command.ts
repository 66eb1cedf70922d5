import { Command } from '@nestjs/cqrs';
import type { RunView } from '../../runs/run.view.js';
import type { RecoveryRow } from '../recovery.repository.js';

/** A reviewer's decision on a queued recovery. Approving applies it, starts its run and emits RecoveryApplied. */
export class ReviewRecovery extends Command<{ recovery: RecoveryRow; run: RunView | null }> {
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
