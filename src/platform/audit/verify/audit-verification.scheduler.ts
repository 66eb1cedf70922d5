import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { TransactionHost } from '../../database/transaction-host.js';
import { AuditRepository } from '../audit.repository.js';
import { VerifyAuditLog } from './verify-audit-log.query.js';

/** Tenants looked at per claim; the round goes on until every tenant was looked at. */
const PAGE = 100;
/** How often a replica looks for chains due (at most): a restart delays a round by this, not by an interval. */
const MAX_TICK_MS = 60_000;

/**
 * Every AUDIT_VERIFY_INTERVAL_MS, verifies each tenant's whole chain (as GET /audit/verify), so a
 * rewrite of entries a checkpoint already signed is found without anyone asking; a broken chain
 * is told as AuditVerificationFailed (`foundBy: schedule`, notification rules on
 * audit.verify_failed) and logged, every interval until someone looks. Replicas share a round: a
 * tenant is claimed in the database (audit_verifications) by one of them per interval.
 */
@Injectable()
export class AuditVerificationScheduler
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('AuditLog');
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<number> | null = null;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionHost,
    private readonly repository: AuditRepository,
    private readonly queries: QueryBus,
  ) {}

  onApplicationBootstrap(): void {
    const interval = this.config.audit.verifyIntervalMs;
    if (interval === 0) return;
    this.timer = setInterval(
      () => {
        this.round ??= this.verifyDue().finally(() => (this.round = null));
      },
      Math.min(interval, MAX_TICK_MS),
    );
    this.timer.unref();
  }

  /** The round in progress ends after the chain it is verifying; the chains it claimed and did not reach are given back. */
  beforeApplicationShutdown(): void {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.round;
  }

  /** Verifies the chains due and claimed here; how many. Never throws. */
  async verifyDue(): Promise<number> {
    let verified = 0;
    let after = '';
    try {
      for (;;) {
        if (this.stopping || !this.tx.isOpen) return verified;
        const page = await this.repository.claimVerifications(after, PAGE, this.config.audit.verifyIntervalMs);
        for (const [i, tenantId] of page.claimed.entries()) {
          if (this.stopping) {
            await this.repository.releaseVerifications(page.claimed.slice(i));
            return verified;
          }
          if (await this.verify(tenantId)) verified++;
        }
        if (page.last === null) return verified;
        after = page.last;
      }
    } catch (err) {
      this.logger.warn(`scheduled audit verification stopped: ${(err as Error).message}`);
      return verified;
    }
  }

  /** One tenant's chain; a failure to verify it is logged, and the round goes on. */
  private async verify(tenantId: string): Promise<boolean> {
    try {
      // Recorded in audit_verifications by the query, as a GET's verdict is.
      const verdict = await this.queries.execute(new VerifyAuditLog({ tenantId, foundBy: 'schedule' }));
      if (!verdict.ok)
        this.logger.error(
          `the audit chain of tenant ${tenantId} does not verify from seq ${verdict.firstBrokenSeq}: ${verdict.problem}`,
        );
      return true;
    } catch (err) {
      this.logger.warn(`scheduled verification of tenant ${tenantId}'s audit chain failed: ${(err as Error).message}`);
      return false;
    }
  }
}
