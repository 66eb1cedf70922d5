import { firstBrokenEntry, GENESIS, type AuditEntry, type ChainAnchor } from './audit-chain.js';
import type { AuditCheckpoint } from './checkpoint.js';

/** `GET /audit/verify`: ok, or the first sequence number that can no longer be trusted and why. */
export interface ChainVerdict {
  ok: boolean;
  /** Entries checked (up to the first broken one). */
  entries: number;
  /** Checkpoints whose signature verified and whose hash matched where its entry is kept. */
  checkpoints: number;
  firstBrokenSeq?: number;
  problem?: string;
}

export interface ChainToVerify {
  tenantId: string;
  /** Every checkpoint of the tenant, any order. */
  checkpoints: AuditCheckpoint[];
  /** The tenant's entries in seq order, a page at a time: all that are stored, not only up to the head. */
  pages: AsyncIterable<AuditEntry[]>;
  /**
   * The chain head the database records, read in the same snapshot as the entries (no head row:
   * seq 0 at the genesis hash); null: not known (offline).
   */
  head: ChainAnchor | null;
  /** Why a checkpoint's signature does not count (null: a trusted key's). */
  signatureProblem: (checkpoint: AuditCheckpoint) => string | null;
}

/**
 * Recomputes a tenant's chain and checks it against its signed checkpoints (ADR 0016):
 * - each checkpoint's signature must verify (a bad one breaks at its seq);
 * - the kept entries start right after the latest retention checkpoint (or at 1) and link from
 *   its hash (or the genesis); each follows the one before and hashes right;
 * - an entry a checkpoint vouches for must still have the signed hash: a rewritten stretch breaks
 *   at the first seq after the last checkpoint that still matches;
 * - no checkpoint, and not the database's head, may lie beyond the last entry (a cut tail);
 * - no entry may lie beyond the head, before seq 1, or within a retention cut (rows written
 *   around the log).
 * The verdict names the lowest broken seq.
 */
export async function verifyChain(c: ChainToVerify): Promise<ChainVerdict> {
  const breaks: Array<{ seq: number; problem: string }> = [];
  const valid = c.checkpoints.filter((cp) => {
    const problem = cp.tenantId === c.tenantId ? c.signatureProblem(cp) : `is tenant ${cp.tenantId}'s`;
    if (problem) breaks.push({ seq: cp.seq, problem: `the checkpoint at seq ${cp.seq} (${cp.at}) ${problem}` });
    return !problem;
  });
  const retention = valid.filter((cp) => cp.kind === 'retention').sort((a, b) => b.seq - a.seq)[0];
  const start: ChainAnchor = retention ? { seq: retention.seq, hash: retention.hash } : GENESIS;
  const vouched = new Map<number, AuditCheckpoint[]>();
  for (const cp of valid.filter((x) => x.seq > start.seq)) vouched.set(cp.seq, [...(vouched.get(cp.seq) ?? []), cp]);

  let anchor = start;
  let lastVouched = start.seq;
  let entries = 0;
  let matched = valid.length - [...vouched.values()].flat().length;
  walk: for await (const page of c.pages) {
    // The chain starts at seq 1, or after a retention cut that deleted what it signed for: an entry
    // at or before that was written around the log (the table refuses seq < 1 since 1767000000000).
    const stray = page.find((e) => e.seq <= start.seq);
    if (stray) {
      breaks.push({
        seq: stray.seq,
        problem: retention
          ? `entry ${stray.seq} lies within the retention cut through seq ${start.seq}, which removed those entries`
          : `entry ${stray.seq} lies before the chain's first seq, 1: written around the log`,
      });
      break;
    }
    const { broken, anchor: reached } = firstBrokenEntry(page, anchor);
    for (const entry of page) {
      if (broken !== null && entry.seq >= broken) break;
      entries++;
      for (const cp of vouched.get(entry.seq) ?? []) {
        if (cp.hash !== entry.hash) {
          breaks.push({
            seq: lastVouched + 1,
            problem: `entry ${entry.seq} differs from what the checkpoint of ${cp.at} signed`,
          });
          break walk;
        }
        matched++;
        lastVouched = entry.seq;
      }
    }
    anchor = reached;
    if (broken !== null) {
      breaks.push({
        seq: broken,
        problem: `entry ${broken} is missing, out of order, or its hash does not match its content`,
      });
      break;
    }
  }
  const beyond = [...vouched.keys()].filter((seq) => seq > anchor.seq);
  if (breaks.length === 0 && beyond.length > 0) {
    breaks.push({
      seq: anchor.seq + 1,
      problem: `a checkpoint vouches for seq ${Math.max(...beyond)}, past the last entry ${anchor.seq}`,
    });
  }
  if (breaks.length === 0 && c.head && anchor.seq > c.head.seq) {
    breaks.push({
      seq: c.head.seq + 1,
      problem: `entries ${c.head.seq + 1}–${anchor.seq} lie beyond the chain head, seq ${c.head.seq}: written around the log`,
    });
  } else if (breaks.length === 0 && c.head && (c.head.seq !== anchor.seq || c.head.hash !== anchor.hash)) {
    const seq = c.head.seq === anchor.seq ? anchor.seq : Math.min(c.head.seq, anchor.seq) + 1;
    breaks.push({
      seq,
      problem: `the chain head is seq ${c.head.seq}, the entries end at ${anchor.seq} with another hash or seq`,
    });
  }
  if (breaks.length === 0) return { ok: true, entries, checkpoints: matched };
  const first = breaks.reduce((a, b) => (b.seq < a.seq ? b : a));
  return { ok: false, entries, checkpoints: matched, firstBrokenSeq: first.seq, problem: first.problem };
}
