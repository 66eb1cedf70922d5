import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../platform/config/config.js';
import { WorkOrderJournal } from './work-order.journal.js';
import { WorkOrdersRepository } from './work-orders.repository.js';

/** Checked often enough that a lapsed claim is back in the queue within a quarter lease (a minute at most). */
const sweepEveryMs = (claimMs: number) => Math.min(60_000, Math.max(50, Math.floor(claimMs / 4)));

/**
 * Returns lapsed claims to the queue, so the work orders, the timeline and the live stream say so
 * within a quarter lease of the time it happened; reads never write (they show what the sweeper
 * left), actions release lapsed claims first (WorkOrderJournal.releaseStaleClaims). Runs on every
 * replica, with or without the relay: a lease is a rule of the data, not event handling. Replicas
 * sweeping at once skip each other's locked rows.
 */
@Injectable()
export class WorkOrderLeaseSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkOrderLeaseSweeper.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly orders: WorkOrdersRepository,
    private readonly journal: WorkOrderJournal,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => (this.running = null));
    }, sweepEveryMs(this.config.workOrderClaimMs));
    this.timer.unref();
  }

  async sweep(): Promise<void> {
    try {
      for (const tenantId of await this.orders.tenantsWithLapsedClaims())
        await this.journal.releaseStaleClaims(tenantId);
    } catch (err) {
      this.logger.error(`releasing lapsed work-order claims failed: ${String(err)}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
