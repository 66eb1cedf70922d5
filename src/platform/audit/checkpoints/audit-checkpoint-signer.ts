import { Injectable } from '@nestjs/common';
import { uuidv7 } from '../../ids/uuid-v7.js';
import { AuditRepository } from '../audit.repository.js';
import type { ChainAnchor } from '../chain/audit-chain.js';
import {
  checkpointStatement,
  type AuditCheckpoint,
  type CheckpointKind,
  type RetentionCut,
} from '../chain/checkpoint.js';
import { AuditSigningKey } from '../signing/audit-signing-key.js';

/** Signs and stores a checkpoint of a chain position, in the caller's transaction. */
@Injectable()
export class AuditCheckpointSigner {
  constructor(
    private readonly repository: AuditRepository,
    private readonly key: AuditSigningKey,
  ) {}

  async sign(
    tenantId: string,
    position: ChainAnchor,
    kind: CheckpointKind,
    cut: RetentionCut | null,
  ): Promise<AuditCheckpoint> {
    const unsigned = {
      tenantId,
      seq: position.seq,
      hash: position.hash,
      at: (await this.repository.now()).toISOString(),
      kind,
      cut,
      keyId: this.key.keyId,
    };
    const checkpoint = { ...unsigned, signature: this.key.sign(checkpointStatement(unsigned)) };
    await this.repository.insertCheckpoint(uuidv7(), checkpoint);
    return checkpoint;
  }
}
