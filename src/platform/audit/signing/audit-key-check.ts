import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { join } from 'node:path';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { StartupError } from '../../database/postgres-placement.js';
import { AuditRepository } from '../audit.repository.js';
import { AuditSigningKey, AuditTrustedKeys, untrustedKey } from './audit-signing-key.js';

/**
 * At startup, the newest audit checkpoint must be signed by a key this replica trusts. One that
 * is not means replicas without a shared AUDIT_SIGNING_KEY (each generated its own into its
 * DATA_DIR), a lost DATA_DIR, or a rotation without the earlier key: verification would fail at
 * that checkpoint, and no new checkpoint of its tenant could be signed over it. A replica whose
 * key was generated refuses to start, since it is the one that is wrong; one given its key
 * deliberately starts, and says so loudly. Checked before the workers start (onModuleInit).
 */
@Injectable()
export class AuditKeyCheck implements OnModuleInit {
  private readonly logger = new Logger('AuditLog');

  constructor(
    private readonly repository: AuditRepository,
    private readonly key: AuditSigningKey,
    private readonly trusted: AuditTrustedKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  // Before any bootstrap hook: the workers start there, and must not act under a wrong key first.
  async onModuleInit(): Promise<void> {
    const newest = await this.repository.newestCheckpoint();
    if (!newest || this.trusted.trusts(newest.key_id)) return;
    const what =
      `the newest audit checkpoint (tenant ${newest.tenant_id}, seq ${newest.seq}) ${untrustedKey(newest.key_id)}. ` +
      `This replica signs with key ${this.key.keyId}`;
    if (this.config.audit.signingKey === null)
      throw new StartupError(
        `${what}, which it generated into ${join(this.config.dataDir, 'audit-signing-key')}: not starting. ` +
          `Set AUDIT_SIGNING_KEY to the key that signed the checkpoints (another replica's audit-signing-key file). ` +
          `If that key is lost, set AUDIT_SIGNING_KEY to a new key to start anyway: the checkpoints of the lost key ` +
          `then fail verification for good.`,
      );
    this.logger.error(
      `${what} (AUDIT_SIGNING_KEY): until key ${newest.key_id} is trusted, verification fails at that checkpoint ` +
        `and no new checkpoint of tenant ${newest.tenant_id} is signed.`,
    );
  }
}
