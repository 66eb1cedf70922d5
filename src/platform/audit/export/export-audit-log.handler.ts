import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../database/transaction-host.js';
import { checkpointOf, AuditRepository } from '../audit.repository.js';
import { AuditSigningKey } from '../signing/audit-signing-key.js';
import { AuditVerifier, headOf } from '../verify/audit-verifier.js';
import { EXPORT_FORMAT, ExportAuditLog } from './export-audit-log.query.js';

const line = (value: object) => `${JSON.stringify(value)}\n`;

@QueryHandler(ExportAuditLog)
export class ExportAuditLogHandler implements IQueryHandler<ExportAuditLog> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly repository: AuditRepository,
    private readonly verifier: AuditVerifier,
    private readonly key: AuditSigningKey,
  ) {}

  execute({ tenantId, write }: ExportAuditLog): Promise<number> {
    return this.tx.run(async () => {
      await this.repository.snapshot();
      const checkpoints = (await this.repository.checkpoints(tenantId)).map(checkpointOf);
      const head = await this.repository.head(tenantId);
      const exportedAt = (await this.repository.now()).toISOString();
      await write(
        line({
          type: 'header',
          format: EXPORT_FORMAT,
          tenantId,
          exportedAt,
          head: headOf(head), // no head row: a chain not begun (seq 0), so stored entries lie beyond it
          publicKey: { algorithm: 'Ed25519', keyId: this.key.keyId, pem: this.key.publicKeyPem },
        }),
      );
      await write(checkpoints.map((c) => line({ type: 'checkpoint', ...c })).join(''));
      let entries = 0;
      for await (const page of this.verifier.storedEntries(tenantId)) {
        await write(page.map((e) => line({ type: 'entry', ...e })).join(''));
        entries += page.length;
      }
      return entries;
    });
  }
}
