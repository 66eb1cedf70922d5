import { EventBus, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../database/transaction-host.js';
import { AuditVerificationFailed } from '../audit-verification-failed.event.js';
import type { ChainVerdict } from '../chain/verify-chain.js';
import { AuditVerifier } from './audit-verifier.js';
import { VerifyAuditLog } from './verify-audit-log.query.js';

@QueryHandler(VerifyAuditLog)
export class VerifyAuditLogHandler implements IQueryHandler<VerifyAuditLog> {
  constructor(
    private readonly verifier: AuditVerifier,
    private readonly tx: TransactionHost,
    private readonly events: EventBus,
  ) {}

  async execute({ tenantId, foundBy = 'verify' }: VerifyAuditLog): Promise<ChainVerdict> {
    const verdict = await this.verifier.verify(tenantId);
    if (!verdict.ok) {
      // Said durably, so whoever subscribed to audit.verify_failed hears of it.
      const { firstBrokenSeq = 0, problem = 'the chain does not verify' } = verdict;
      await this.tx.run(() =>
        this.events.publish(
          new AuditVerificationFailed({ tenantId, firstBrokenSeq, problem, foundBy, incidentId: null }),
        ),
      );
    }
    return verdict;
  }
}
