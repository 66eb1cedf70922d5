import { Inject } from '@nestjs/common';
import { EventBus, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { TransactionHost } from '../../database/transaction-host.js';
import { AuditVerificationFailed } from '../audit-verification-failed.event.js';
import { AuditRepository } from '../audit.repository.js';
import type { ChainVerdict } from '../chain/verify-chain.js';
import { AuditVerifier } from './audit-verifier.js';
import { VerifyAuditLog } from './verify-audit-log.query.js';

@QueryHandler(VerifyAuditLog)
export class VerifyAuditLogHandler implements IQueryHandler<VerifyAuditLog> {
  constructor(
    private readonly verifier: AuditVerifier,
    private readonly tx: TransactionHost,
    private readonly repository: AuditRepository,
    private readonly events: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ tenantId, foundBy = 'verify' }: VerifyAuditLog): Promise<ChainVerdict> {
    const verdict = await this.verifier.verify(tenantId);
    await this.tx.run(async () => {
      // Recorded as the tenant's last verdict, and compared with the one before.
      const { changed } = await this.repository.recordVerification(
        tenantId,
        verdict,
        this.config.audit.verifyIntervalMs,
      );
      // Said durably, so whoever subscribed to audit.verify_failed hears of it: by the schedule every
      // interval (a reminder, at a pace no one else sets); by a GET only when its verdict is news,
      // so asking again about the same break makes no outbox row nor delivery.
      if (!verdict.ok && (foundBy === 'schedule' || changed)) {
        const { firstBrokenSeq = 0, problem = 'the chain does not verify' } = verdict;
        await this.events.publish(
          new AuditVerificationFailed({ tenantId, firstBrokenSeq, problem, foundBy, incidentId: null }),
        );
      }
    });
    return verdict;
  }
}
