import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { ChainVerdict } from '../chain/verify-chain.js';
import { AuditVerifier } from './audit-verifier.js';
import { VerifyAuditLog } from './verify-audit-log.query.js';

@QueryHandler(VerifyAuditLog)
export class VerifyAuditLogHandler implements IQueryHandler<VerifyAuditLog> {
  constructor(private readonly verifier: AuditVerifier) {}

  execute({ tenantId }: VerifyAuditLog): Promise<ChainVerdict> {
    return this.verifier.verify(tenantId);
  }
}
