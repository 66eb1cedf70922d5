import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { Pruner } from '../../../platform/workers/pruner.js';
import { DeliveryRepository } from './delivery.repository.js';

/**
 * Deletes finished deliveries NOTIFICATION_RETENTION_DAYS after their last change, and repeat
 * marks a month past their rule's interval, every PRUNE_INTERVAL_MS on the replicas that run the
 * relay, not on each review.waiting sweep (NOTIFICATION_SWEEP_MS, 30 s by default): what a sweep
 * would find to delete is a few seconds' worth.
 */
@Injectable()
export class DeliveryPruner extends Pruner {
  protected readonly logger = new Logger(DeliveryPruner.name);
  protected readonly what = 'finished notification deliveries and old repeat marks';

  constructor(
    private readonly deliveries: DeliveryRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(config);
  }

  protected async pruneBatch(): Promise<number> {
    const deliveries = await this.deliveries.pruneDeliveries(this.config.notifications.retentionDays);
    return deliveries + (await this.deliveries.pruneRepeats());
  }
}
