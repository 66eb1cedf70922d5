import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../database/transaction-host.js';
import { checkpointOf, entryOf, AuditRepository, type AuditHeadRow } from '../audit.repository.js';
import { firstBrokenEntry, GENESIS, type AuditEntry, type ChainAnchor } from '../chain/audit-chain.js';
import type { AuditCheckpoint } from '../chain/checkpoint.js';
import { verifyChain, type ChainVerdict } from '../chain/verify-chain.js';
import { AuditTrustedKeys } from '../signing/audit-signing-key.js';

const PAGE = 1000;

/** A stretch of a chain that does not hold: where, and why. */
export interface ChainBreak {
  seq: number;
  problem: string;
}

/** Reads a tenant's chain back and checks it (verifyChain), in pages. */
@Injectable()
export class AuditVerifier {
  constructor(
    private readonly tx: TransactionHost,
    private readonly repository: AuditRepository,
    private readonly trusted: AuditTrustedKeys,
  ) {}

  /** Why a checkpoint's signature does not count: null when a trusted key (this service's, or an earlier one) made it. */
  readonly signatureProblem = (checkpoint: AuditCheckpoint): string | null => this.trusted.problemWith(checkpoint);

  /** The whole chain, every checkpoint and the head, read in one snapshot (blind to appends and cuts meanwhile). */
  verify(tenantId: string): Promise<ChainVerdict> {
    return this.tx.run(async () => {
      await this.repository.snapshot();
      const checkpoints = (await this.repository.checkpoints(tenantId)).map(checkpointOf);
      const head = await this.repository.head(tenantId);
      return verifyChain({
        tenantId,
        checkpoints,
        pages: this.storedEntries(tenantId),
        head: headOf(head),
        signatureProblem: this.signatureProblem,
      });
    });
  }

  /**
   * The chain up to `throughSeq` only (what a retention cut is about to remove), with the
   * checkpoints that vouch for it; the entry at throughSeq ends it. Rows before seq 1 are read
   * too: the cut would delete them, and must not sign over them.
   */
  async verifyThrough(tenantId: string, last: AuditEntry): Promise<ChainVerdict> {
    const checkpoints = (await this.repository.checkpoints(tenantId))
      .map(checkpointOf)
      .filter((c) => c.seq <= last.seq);
    const head = { seq: last.seq, hash: last.hash };
    return verifyChain({
      tenantId,
      checkpoints,
      pages: this.pages(tenantId, null, last.seq),
      head,
      signatureProblem: this.signatureProblem,
    });
  }

  /**
   * What a new checkpoint would vouch for: the entries since the latest checkpoint link from its
   * (signed) hash up to the head. Null when they do; else where they break.
   */
  async checkSince(tenantId: string, latest: AuditCheckpoint | null, head: AuditHeadRow): Promise<ChainBreak | null> {
    const problem = latest && this.signatureProblem(latest);
    if (latest && problem) return { seq: latest.seq, problem: `the checkpoint at seq ${latest.seq} ${problem}` };
    let anchor: ChainAnchor = latest ? { seq: latest.seq, hash: latest.hash } : GENESIS;
    // Without a checkpoint, from the very first row stored: one before seq 1 breaks the chain at its seq.
    for await (const page of this.pages(tenantId, latest ? anchor.seq : null, Number(head.seq))) {
      const checked = firstBrokenEntry(page, anchor);
      if (checked.broken !== null)
        return {
          seq: checked.broken,
          problem: `entry ${checked.broken} is missing or does not match its hash or link`,
        };
      anchor = checked.anchor;
    }
    if (anchor.seq !== Number(head.seq) || anchor.hash !== head.hash) {
      return { seq: anchor.seq + 1, problem: `the entries end at seq ${anchor.seq}, the chain head is ${head.seq}` };
    }
    return null;
  }

  /**
   * Every entry stored for the tenant, with no bound on seq, before seq 1 and past the chain head
   * too (verify and export read these): a row written around the log must be seen to be refused.
   */
  storedEntries(tenantId: string): AsyncGenerator<AuditEntry[]> {
    return this.pages(tenantId, null, null);
  }

  /** Entries after `afterSeq` up to `throughSeq` (null: unbounded), in seq order, a page at a time. */
  async *pages(tenantId: string, afterSeq: number | null, throughSeq: number | null): AsyncGenerator<AuditEntry[]> {
    // The cursor is the last row's seq as the database wrote it: a forged seq past 2^53 would not survive a Number.
    let after: string | number | null = afterSeq;
    for (;;) {
      const rows = await this.repository.entriesAfter(tenantId, after, throughSeq, PAGE);
      if (rows.length > 0) yield rows.map(entryOf);
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1].seq;
    }
  }
}

/**
 * The head the database records. No head row is a chain that has not begun: seq 0 at the genesis
 * hash, so entries stored for such a tenant (a chain forged from the genesis) lie beyond it.
 */
export const headOf = (head: AuditHeadRow | null): ChainAnchor =>
  head ? { seq: Number(head.seq), hash: head.hash } : GENESIS;
