import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { entryHash, GENESIS_HASH, type AuditEntry } from './audit-chain.js';
import { checkpointStatement, type AuditCheckpoint, type CheckpointKind } from './checkpoint.js';
import { verifyChain, type ChainToVerify } from './verify-chain.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signatureProblem = (cp: AuditCheckpoint) =>
  cp.keyId !== 'k1'
    ? `is signed by key ${cp.keyId}, which this service does not trust`
    : verify(null, Buffer.from(checkpointStatement(cp)), publicKey, Buffer.from(cp.signature, 'base64'))
      ? null
      : 'has no valid signature';

function chain(n: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const rest = {
      seq,
      at: new Date(Date.UTC(2026, 0, 1, 0, seq)).toISOString(),
      actor: 'system',
      action: 'flag.changed',
      subject: { type: 'flag', id: 'bridge_1' },
      before: { enabled: seq % 2 === 0 },
      after: { enabled: seq % 2 === 1 },
      reason: null,
      prevHash,
    };
    prevHash = entryHash(rest);
    entries.push({ ...rest, hash: prevHash });
  }
  return entries;
}

function checkpoint(entry: AuditEntry, kind: CheckpointKind = 'periodic'): AuditCheckpoint {
  const unsigned = { tenantId: 't', seq: entry.seq, hash: entry.hash, at: entry.at, kind, cut: null, keyId: 'k1' };
  return {
    ...unsigned,
    signature: sign(null, Buffer.from(checkpointStatement(unsigned)), privateKey).toString('base64'),
  };
}

async function* pagesOf(entries: AuditEntry[], size = 3) {
  for (let i = 0; i < entries.length; i += size) yield entries.slice(i, i + size);
}

const verdict = (entries: AuditEntry[], checkpoints: AuditCheckpoint[], head: ChainToVerify['head'] = null) =>
  verifyChain({ tenantId: 't', checkpoints, pages: pagesOf(entries), head, signatureProblem });

describe('verifyChain', () => {
  const entries = chain(10);
  const head = { seq: 10, hash: entries[9].hash };

  it('passes an intact chain with its checkpoints and head', async () => {
    expect(await verdict(entries, [checkpoint(entries[3]), checkpoint(entries[9])], head)).toEqual({
      ok: true,
      entries: 10,
      checkpoints: 2,
    });
    expect(await verdict([], [], null)).toEqual({ ok: true, entries: 0, checkpoints: 0 });
  });

  it('names an entry whose stored content changed', async () => {
    const edited = entries.map((e) => (e.seq === 6 ? { ...e, after: { enabled: 'tampered' } } : e));
    expect(await verdict(edited, [], head)).toMatchObject({ ok: false, firstBrokenSeq: 6, entries: 5 });
  });

  it('finds a tail rewritten consistently (hashes recomputed) before a checkpoint', async () => {
    const rewritten = chain(10).map((e) => ({ ...e }));
    let prevHash = rewritten[6].prevHash;
    for (const e of rewritten.slice(6)) {
      const rest = { ...e, prevHash, reason: 'rewritten' } as Omit<AuditEntry, 'hash'> & { hash?: string };
      delete rest.hash;
      Object.assign(e, rest, { hash: entryHash(rest) });
      prevHash = e.hash;
    }
    const checkpoints = [checkpoint(entries[3]), checkpoint(entries[8])];
    expect(await verdict(rewritten, checkpoints)).toMatchObject({
      ok: false,
      firstBrokenSeq: 5,
      problem: expect.stringMatching(/entry 9 differs/),
    });
  });

  it('finds a tail cut after a checkpoint, or behind the head', async () => {
    expect(await verdict(entries.slice(0, 7), [checkpoint(entries[8])])).toMatchObject({
      ok: false,
      firstBrokenSeq: 8,
    });
    expect(await verdict(entries.slice(0, 7), [], head)).toMatchObject({ ok: false, firstBrokenSeq: 8 });
  });

  it('refuses a forged or foreign checkpoint', async () => {
    const forged = { ...checkpoint(entries[4]), hash: 'f'.repeat(64) };
    expect(await verdict(entries, [forged], head)).toMatchObject({
      ok: false,
      firstBrokenSeq: 5,
      problem: expect.stringMatching(/no valid signature/),
    });
    expect(
      await verifyChain({
        tenantId: 'other',
        checkpoints: [checkpoint(entries[4])],
        pages: pagesOf(entries),
        head,
        signatureProblem,
      }),
    ).toMatchObject({ ok: false, problem: expect.stringMatching(/is tenant t's/) });
    expect(await verdict(entries, [{ ...checkpoint(entries[4]), keyId: 'k2' }], head)).toMatchObject({
      ok: false,
      firstBrokenSeq: 5,
      problem: expect.stringMatching(
        /^the checkpoint at seq 5 \(.*\) is signed by key k2, which this service does not trust/,
      ),
    });
  });

  it('starts after a retention checkpoint; entries cut without one break at the first missing seq', async () => {
    const retention = { ...checkpoint(entries[3], 'retention') };
    expect(await verdict(entries.slice(4), [retention, checkpoint(entries[1])], head)).toEqual({
      ok: true,
      entries: 6,
      checkpoints: 2,
    });
    expect(await verdict(entries.slice(4), [], head)).toMatchObject({ ok: false, firstBrokenSeq: 1 });
    expect(await verdict(entries.slice(5), [retention], head)).toMatchObject({ ok: false, firstBrokenSeq: 5 });
    // An entry written back within the cut, around the log:
    expect(await verdict([entries[2], ...entries.slice(4)], [retention], head)).toMatchObject({
      ok: false,
      firstBrokenSeq: 3,
      problem: 'entry 3 lies within the retention cut through seq 4, which removed those entries',
    });
  });

  it('breaks at the first entry beyond the chain head the database records', async () => {
    const head8 = { seq: 8, hash: entries[7].hash };
    expect(await verdict(entries, [checkpoint(entries[3])], head8)).toMatchObject({
      ok: false,
      firstBrokenSeq: 9,
      problem: expect.stringMatching(/^entries 9–10 lie beyond the chain head, seq 8/),
    });
  });
});
