import { Injectable } from '@nestjs/common';
import { NotifyBatcher } from '../../platform/database/notify-batcher.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';

/** NOTIFY channel that wakes every replica's run engine when a run has new work due. */
export const RUN_ENGINE_CHANNEL = 'recovery_runs';

/**
 * Wakes run engines once a change that gives a run work commits: this replica's at once, the
 * others by NOTIFY. Engines also poll, so a lost wake-up only costs a poll interval.
 */
@Injectable()
export class RunWakeups {
  /** Set by this replica's engine when it runs. */
  wakeLocal: (() => void) | null = null;

  constructor(
    private readonly tx: TransactionHost,
    private readonly notifier: NotifyBatcher,
  ) {}

  afterCommit(): void {
    this.tx.afterCommit(() => this.wakeLocal?.());
    this.notifier.notifyAfterCommit(RUN_ENGINE_CHANNEL);
  }
}
