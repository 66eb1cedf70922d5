import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { TransactionHost } from '../../database/transaction-host.js';
import { invalidFields, utcInstant } from '../../http/validation.js';
import { AuditTrail } from '../audit-trail.js';
import { entryOf, AuditRepository } from '../audit.repository.js';
import { AuditCheckpointSigner } from '../checkpoints/audit-checkpoint-signer.js';
import { chainBroken } from '../checkpoints/create-audit-checkpoint.handler.js';
import { AuditVerifier } from '../verify/audit-verifier.js';
import { ApplyAuditRetention, type AuditRetentionResult } from './apply-audit-retention.command.js';

const DAY_MS = 86_400_000;

@CommandHandler(ApplyAuditRetention)
export class ApplyAuditRetentionHandler implements ICommandHandler<ApplyAuditRetention> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly repository: AuditRepository,
    private readonly verifier: AuditVerifier,
    private readonly signer: AuditCheckpointSigner,
    private readonly audit: AuditTrail,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  execute(c: ApplyAuditRetention): Promise<AuditRetentionResult> {
    return this.tx.run(async () => {
      // One instant for the age check, the cut (SQL) and the signed cut.before, so the checkpoint
      // names the very boundary used: read as UTC when it has no offset, to the millisecond.
      const before = utcInstant(c.before).toISOString();
      const minDays = this.config.audit.retentionMinDays;
      const latestAllowed = (await this.repository.now()).getTime() - minDays * DAY_MS;
      if (Date.parse(before) > latestAllowed) {
        throw invalidFields([
          { field: 'before', errors: [`before must be at least ${minDays} days ago (AUDIT_RETENTION_MIN_DAYS)`] },
        ]);
      }
      // One cut or checkpoint of the tenant at a time; appends go on meanwhile (they are all newer).
      await this.repository.lockCheckpoints(c.tenantId, true);
      const lastRow = await this.repository.lastEntryBefore(c.tenantId, before);
      if (!lastRow) return { entriesCut: 0, checkpoint: null };
      const last = entryOf(lastRow);
      const verdict = await this.verifier.verifyThrough(c.tenantId, last);
      if (!verdict.ok) throw chainBroken(verdict.firstBrokenSeq!, verdict.problem!);
      const fromSeq = (await this.repository.firstSeq(c.tenantId))!;
      const cut = {
        fromSeq,
        throughSeq: last.seq,
        entries: last.seq - fromSeq + 1,
        before,
      };
      const checkpoint = await this.signer.sign(c.tenantId, { seq: last.seq, hash: last.hash }, 'retention', cut);
      const entriesCut = await this.repository.cut(c.tenantId, last.seq);
      await this.audit.record({
        tenantId: c.tenantId,
        actor: c.actor,
        action: 'audit.retention_applied',
        subject: { type: 'audit_log', id: c.tenantId },
        before: { firstSeq: fromSeq },
        after: { firstSeq: last.seq + 1, checkpoint: { seq: checkpoint.seq, hash: checkpoint.hash } },
        reason: c.reason,
      });
      return { entriesCut, checkpoint };
    });
  }
}
