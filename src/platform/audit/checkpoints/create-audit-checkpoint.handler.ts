import { ConflictException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../database/transaction-host.js';
import { checkpointOf, AuditRepository } from '../audit.repository.js';
import type { AuditCheckpoint } from '../chain/checkpoint.js';
import { AuditVerifier } from '../verify/audit-verifier.js';
import { AuditCheckpointSigner } from './audit-checkpoint-signer.js';
import { CreateAuditCheckpoint } from './create-audit-checkpoint.command.js';

/** 409 for a chain that does not hold: nothing is signed over it. */
export const chainBroken = (seq: number, problem: string) =>
  new ConflictException({
    statusCode: 409,
    error: 'Conflict',
    message: `the audit chain is broken at seq ${seq}: ${problem}`,
    firstBrokenSeq: seq,
  });

@CommandHandler(CreateAuditCheckpoint)
export class CreateAuditCheckpointHandler implements ICommandHandler<CreateAuditCheckpoint> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly repository: AuditRepository,
    private readonly verifier: AuditVerifier,
    private readonly signer: AuditCheckpointSigner,
  ) {}

  execute({ tenantId, kind }: CreateAuditCheckpoint): Promise<AuditCheckpoint | null> {
    return this.tx.run(async () => {
      const periodic = kind === 'periodic';
      if (!(await this.repository.lockCheckpoints(tenantId, !periodic))) return null;
      const head = await this.repository.head(tenantId);
      if (!head) {
        if (periodic) return null;
        throw new ConflictException(`the audit log of tenant ${tenantId} is empty: there is no chain head to sign yet`);
      }
      const latestRow = await this.repository.latestCheckpoint(tenantId);
      const latest = latestRow && checkpointOf(latestRow);
      if (periodic && latest && latest.seq >= Number(head.seq)) return null;
      const broken = await this.verifier.checkSince(tenantId, latest, head);
      if (broken) throw chainBroken(broken.seq, broken.problem);
      return this.signer.sign(tenantId, { seq: Number(head.seq), hash: head.hash }, kind, null);
    });
  }
}
