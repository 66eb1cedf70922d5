import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { OutboxRepository } from './outbox.repository.js';

const PRUNE_EVERY_MS = 10 * 60_000;

/** Deletes processed deliveries after OUTBOX_RETENTION_HOURS; `loop_events` keeps the history. */
@Injectable()
export class OutboxPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxPruner.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: OutboxRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.outbox.relayEnabled) return;
    this.timer = setInterval(() => void this.pruneAll(), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  async pruneAll(): Promise<number> {
    let total = 0;
    try {
      for (let n = -1; n !== 0; total += n) n = await this.store.prune(this.config.outbox.retentionHours);
      if (total > 0) this.logger.log(`pruned ${total} processed outbox deliveries`);
    } catch (err) {
      this.logger.error(`pruning the outbox failed: ${String(err)}`);
    }
    return total;
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
