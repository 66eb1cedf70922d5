import { Global, Module } from '@nestjs/common';
import { AuditRepository } from './audit.repository.js';
import { AuditTrail } from './audit-trail.js';

/** The audit log (DESIGN §12): global, so every module can inject AuditTrail and record its decisions. */
@Global()
@Module({
  providers: [AuditRepository, AuditTrail],
  exports: [AuditTrail],
})
export class AuditModule {}
