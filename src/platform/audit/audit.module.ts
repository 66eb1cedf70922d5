import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { AuditTrail } from './audit-trail.js';
import { AuditController } from './audit.controller.js';
import { AuditRepository } from './audit.repository.js';
import { AuditCheckpointSigner } from './checkpoints/audit-checkpoint-signer.js';
import { AuditCheckpointScheduler } from './checkpoints/audit-checkpoint.scheduler.js';
import { CreateAuditCheckpointHandler } from './checkpoints/create-audit-checkpoint.handler.js';
import { ExportAuditLogHandler } from './export/export-audit-log.handler.js';
import { ListAuditEntriesHandler } from './list-entries/list-audit-entries.handler.js';
import { ApplyAuditRetentionHandler } from './retention/apply-audit-retention.handler.js';
import { AuditKeyCheck } from './signing/audit-key-check.js';
import { AuditSigningKey, auditSigningKeyFrom, AuditTrustedKeys, parsePublicKey } from './signing/audit-signing-key.js';
import { AuditVerificationScheduler } from './verify/audit-verification.scheduler.js';
import { AuditVerifier } from './verify/audit-verifier.js';
import { VerifyAuditLogHandler } from './verify/verify-audit-log.handler.js';

/** The audit log (DESIGN §12): global, so every module can inject AuditTrail and record its decisions. */
@Global()
@Module({
  controllers: [AuditController],
  providers: [
    AuditRepository,
    AuditTrail,
    AuditVerifier,
    AuditKeyCheck,
    AuditCheckpointSigner,
    AuditCheckpointScheduler,
    CreateAuditCheckpointHandler,
    ApplyAuditRetentionHandler,
    ListAuditEntriesHandler,
    VerifyAuditLogHandler,
    AuditVerificationScheduler,
    ExportAuditLogHandler,
    {
      provide: AuditSigningKey,
      useFactory: (config: AppConfig) => auditSigningKeyFrom(config.audit.signingKey, config.dataDir),
      inject: [APP_CONFIG],
    },
    {
      provide: AuditTrustedKeys,
      useFactory: (key: AuditSigningKey, config: AppConfig) =>
        new AuditTrustedKeys([key, ...config.audit.previousPublicKeys.map(parsePublicKey)]),
      inject: [AuditSigningKey, APP_CONFIG],
    },
  ],
  exports: [AuditTrail],
})
export class AuditModule {}
