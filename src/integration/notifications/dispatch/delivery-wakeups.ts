import { Injectable } from '@nestjs/common';
import { NotifyBatcher } from '../../../platform/database/notify-batcher.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { Wakeups } from '../../../platform/workers/wakeups.js';

/** NOTIFY channel that wakes every replica's notification dispatcher when a delivery is queued. */
export const DELIVERIES_CHANNEL = 'notification_deliveries';

/** Wakes notification dispatchers once a queued delivery commits (see Wakeups). */
@Injectable()
export class DeliveryWakeups extends Wakeups {
  constructor(tx: TransactionHost, notifier: NotifyBatcher) {
    super(DELIVERIES_CHANNEL, tx, notifier);
  }
}
