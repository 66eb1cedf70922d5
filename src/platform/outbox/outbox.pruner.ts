import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { Pruner } from '../workers/pruner.js';
import { OutboxRepository } from './outbox.repository.js';

/** Deletes processed deliveries after OUTBOX_RETENTION_HOURS; `loop_events` keeps the history. */
@Injectable()
export class OutboxPruner extends Pruner {
  protected readonly logger = new Logger(OutboxPruner.name);
  protected readonly what = 'processed outbox deliveries';

  constructor(
    private readonly store: OutboxRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(config);
  }

  protected pruneBatch(): Promise<number> {
    return this.store.prune(this.config.outbox.retentionHours);
  }
}
