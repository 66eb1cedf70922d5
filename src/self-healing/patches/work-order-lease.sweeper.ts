import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../platform/config/config.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { WorkOrderJournal } from './work-order.journal.js';

/** Checked often enough that a lapsed claim is back in the queue within a quarter lease (a minute at most). */
const sweepEveryMs = (claimMs: number) => Math.min(60_000, Math.max(50, Math.floor(claimMs / 4)));

/**
 * Returns lapsed claims to the queue even when nobody reads the work orders, so the timeline and
 * the live stream say so near the time it happened. Reads and actions release lapsed claims too
 * (WorkOrderJournal.releaseStaleClaims), so a request never sees a claim past its lease. Runs on
 * replicas that run the relay; replicas sweeping at once skip each other's locked rows.
 */
@Injectable()
export class WorkOrderLeaseSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkOrderLeaseSweeper.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly tx: TransactionHost,
    private readonly journal: WorkOrderJournal,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.outbox.relayEnabled) return;
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => (this.running = null));
    }, sweepEveryMs(this.config.workOrderClaimMs));
    this.timer.unref();
  }

  async sweep(): Promise<void> {
    try {
      const tenants = await this.tx.query<{ tenant_id: string }>(
        `SELECT DISTINCT tenant_id FROM work_orders WHERE claim_expires_at IS NOT NULL AND claim_expires_at <= now()`,
      );
      for (const { tenant_id } of tenants) await this.journal.releaseStaleClaims(tenant_id);
    } catch (err) {
      this.logger.error(`releasing lapsed work-order claims failed: ${String(err)}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
