import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CommandBus, EventBus } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { TransactionHost } from '../../database/transaction-host.js';
import { AuditVerificationFailed } from '../audit-verification-failed.event.js';
import { AuditRepository } from '../audit.repository.js';
import { CreateAuditCheckpoint } from './create-audit-checkpoint.command.js';

/** Tenants checkpointed per round; the next round takes the rest. */
const BATCH = 100;

/**
 * Every AUDIT_CHECKPOINT_INTERVAL_MS, signs the head of each tenant's chain that moved since its
 * latest checkpoint. Safe on several replicas: a tenant another replica is signing is skipped,
 * and one already signed at its head is not signed again.
 */
@Injectable()
export class AuditCheckpointScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditCheckpointScheduler.name);
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<number> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionHost,
    private readonly repository: AuditRepository,
    private readonly commands: CommandBus,
    private readonly events: EventBus,
  ) {}

  onApplicationBootstrap(): void {
    const interval = this.config.audit.checkpointIntervalMs;
    if (interval === 0) return;
    this.timer = setInterval(() => {
      this.round ??= this.checkpointAll().finally(() => (this.round = null));
    }, interval);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.round;
  }

  /** One round: every tenant whose chain moved, BATCH at a time in tenant order. Never throws. */
  async checkpointAll(): Promise<number> {
    let signed = 0;
    let after = '';
    try {
      for (;;) {
        if (!this.tx.isOpen) return signed;
        const tenants = await this.repository.tenantsAheadOfCheckpoint(after, BATCH);
        if (tenants.length === 0) return signed;
        for (const tenantId of tenants) {
          try {
            if (await this.commands.execute(new CreateAuditCheckpoint({ tenantId, kind: 'periodic' }))) signed++;
          } catch (err) {
            // A broken chain is not signed over; it is said loudly, every round, until someone looks.
            this.logger.error(`audit checkpoint of tenant ${tenantId} refused: ${(err as Error).message}`);
            await this.tellBroken(tenantId, err);
          }
        }
        after = tenants[tenants.length - 1];
      }
    } catch (err) {
      this.logger.warn(`audit checkpoint round stopped: ${(err as Error).message}`);
      return signed;
    }
  }

  /** A refusal over a broken chain (chainBroken's 409) becomes an AuditVerificationFailed event. */
  private async tellBroken(tenantId: string, err: unknown): Promise<void> {
    const answer = (err as { getResponse?: () => unknown }).getResponse?.() as
      { firstBrokenSeq?: number; message?: string } | undefined;
    if (answer?.firstBrokenSeq === undefined) return;
    const event = new AuditVerificationFailed({
      tenantId,
      firstBrokenSeq: answer.firstBrokenSeq,
      problem: answer.message ?? 'the chain does not verify',
      foundBy: 'checkpoint',
      incidentId: null,
    });
    await this.tx
      .run(() => this.events.publish(event))
      .catch((e: unknown) => this.logger.warn(`telling of the broken audit chain failed: ${String(e)}`));
  }
}
