import { Command } from '@nestjs/cqrs';
import type { RunView } from '../../runs/run.view.js';
import type { RecoveryRow } from '../recovery.repository.js';

export interface ReviewRecoveryProps {
  tenantId: string;
  recoveryId: string;
  decision: 'applied' | 'rejected';
  actor: string;
  note: string | null;
}

/** A reviewer's decision on a queued recovery. Approving applies it, starts its run and emits RecoveryApplied. */
export interface ReviewRecovery extends ReviewRecoveryProps {}
export class ReviewRecovery extends Command<{ recovery: RecoveryRow; run: RunView | null }> {
  constructor(props: ReviewRecoveryProps) {
    super();
    Object.assign(this, props);
  }
}
