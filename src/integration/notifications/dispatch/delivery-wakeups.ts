import { Injectable } from '@nestjs/common';
import { NotifyBatcher } from '../../../platform/database/notify-batcher.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';

/** NOTIFY channel that wakes every replica's notification dispatcher when a delivery is queued. */
export const DELIVERIES_CHANNEL = 'notification_deliveries';

/**
 * Wakes dispatchers once a queued delivery commits: this replica's at once, the others by
 * NOTIFY. Dispatchers also poll, so a lost wake-up only costs a poll interval.
 */
@Injectable()
export class DeliveryWakeups {
  /** Set by this replica's dispatcher when it runs. */
  wakeLocal: (() => void) | null = null;

  constructor(
    private readonly tx: TransactionHost,
    private readonly notifier: NotifyBatcher,
  ) {}

  afterCommit(): void {
    this.tx.afterCommit(() => this.wakeLocal?.());
    this.notifier.notifyAfterCommit(DELIVERIES_CHANNEL);
  }
}
