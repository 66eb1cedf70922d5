import { Injectable } from '@nestjs/common';
import { NotifyBatcher } from '../../platform/database/notify-batcher.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { Wakeups } from '../../platform/workers/wakeups.js';

/** NOTIFY channel that wakes every replica's run engine when a run has new work due. */
export const RUN_ENGINE_CHANNEL = 'recovery_runs';

/** Wakes run engines once a change that gives a run work commits (see Wakeups). */
@Injectable()
export class RunWakeups extends Wakeups {
  constructor(tx: TransactionHost, notifier: NotifyBatcher) {
    super(RUN_ENGINE_CHANNEL, tx, notifier);
  }
}
