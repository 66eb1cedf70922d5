import { Query } from '@nestjs/cqrs';
import type { ChainVerdict } from '../chain/verify-chain.js';

export interface VerifyAuditLogProps {
  tenantId: string;
  /** Who asks, told with a failure: `GET /audit/verify` (the default), or the scheduled verification. */
  foundBy?: 'verify' | 'schedule';
}
export interface VerifyAuditLog extends VerifyAuditLogProps {}
/** Recomputes the tenant's whole chain and checks every checkpoint (verifyChain). */
export class VerifyAuditLog extends Query<ChainVerdict> {
  constructor(props: VerifyAuditLogProps) {
    super();
    Object.assign(this, props);
  }
}
