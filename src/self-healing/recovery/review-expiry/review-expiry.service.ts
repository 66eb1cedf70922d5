import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { expiryNote, RecoveryRepository } from '../recovery.repository.js';

/** How often the sweep runs: a quarter of the TTL, between 100 ms and a minute. */
export function sweepIntervalMs(ttlMs: number): number {
  return Math.min(60_000, Math.max(100, Math.floor(ttlMs / 4)));
}

/** Expires recoveries that waited for review longer than RECOVERY_REVIEW_TTL_MS (DESIGN §8). */
@Injectable()
export class ReviewExpiryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReviewExpiryService.name);
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionHost,
    private readonly recoveries: RecoveryRepository,
    private readonly audit: AuditTrail,
  ) {}

  onApplicationBootstrap(): void {
    const ttl = this.config.recoveryReviewTtlMs;
    if (ttl === 0) return;
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep(ttl).finally(() => (this.sweeping = null));
    }, sweepIntervalMs(ttl));
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sweeping;
  }

  private async sweep(ttl: number): Promise<void> {
    try {
      const n = await this.tx.run(async () => {
        const expired = await this.recoveries.expireReviews(ttl);
        for (const r of expired) {
          await this.audit.record({
            tenantId: r.tenant_id,
            actor: 'system',
            action: 'recovery.expired',
            subject: { type: 'recovery', id: r.id },
            before: { status: 'pending_review' },
            after: { status: 'expired' },
            reason: expiryNote(ttl),
          });
        }
        return expired.length;
      });
      if (n > 0) this.logger.log(`${n} recoveries expired in review`);
    } catch (err) {
      this.logger.warn(`review expiry sweep failed: ${(err as Error).message}`);
    }
  }
}
