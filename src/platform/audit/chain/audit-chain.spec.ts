import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import {
  entryFragments,
  entryHash,
  firstBrokenEntry,
  GENESIS,
  GENESIS_HASH,
  type AuditEntry,
  type AuditEntryBody,
} from './audit-chain.js';
import { canonicalJson, jsonData } from './canonical-json.js';

const body = (n: number): AuditEntryBody => ({
  actor: n % 2 ? 'system' : '0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee',
  action: 'recovery.approved',
  subject: { type: 'recovery', id: `r-${n}` },
  before: { status: 'pending_review' },
  after: { status: 'applied', n },
  reason: n % 3 ? null : 'looks right',
});

/** A chain of `n` entries built the way the database builds it, from the fragments. */
function chain(n: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const b = body(seq);
    const at = new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString();
    const [f0, f1, f2, f3] = entryFragments(b);
    const text = `${f0}"${at}"${f1}"${prevHash}"${f2}${seq}${f3}`;
    const hash = createHash('sha256')
      .update(prevHash + text, 'utf8')
      .digest('hex');
    entries.push({ ...b, seq, at, prevHash, hash });
    prevHash = hash;
  }
  return entries;
}

describe('the audit chain', () => {
  it('joins the fragments into exactly the canonical JSON of the entry without its hash', () => {
    const text = fc.string({ unit: 'grapheme' });
    fc.assert(
      fc.property(
        fc.record({
          actor: text,
          action: text,
          type: text,
          id: text,
          before: fc.jsonValue(),
          after: fc.jsonValue(),
          reason: fc.option(text),
        }),
        fc.integer({ min: 1, max: 2 ** 53 - 1 }),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2999-12-31'), noInvalidDate: true }),
        fc.stringMatching(/^[0-9a-f]{64}$/),
        (r, seq, date, prevHash) => {
          const b: AuditEntryBody = {
            actor: r.actor,
            action: r.action,
            subject: { type: r.type, id: r.id },
            before: jsonData(r.before),
            after: jsonData(r.after),
            reason: r.reason,
          };
          const at = date.toISOString();
          const [f0, f1, f2, f3] = entryFragments(b);
          expect(`${f0}"${at}"${f1}"${prevHash}"${f2}${seq}${f3}`).toBe(canonicalJson({ ...b, seq, at, prevHash }));
        },
      ),
    );
  });

  it('hashes prevHash followed by the canonical JSON, as UTF-8', () => {
    const [entry] = chain(1);
    const { hash, ...rest } = entry;
    expect(hash).toBe(
      createHash('sha256')
        .update(Buffer.from(GENESIS_HASH + canonicalJson(rest), 'utf8'))
        .digest('hex'),
    );
    expect(entryHash(rest)).toBe(hash);
    expect(entry.prevHash).toBe('0'.repeat(64));
  });

  it('accepts an intact chain and gives the anchor for the next page', () => {
    const entries = chain(5);
    expect(firstBrokenEntry(entries, GENESIS)).toEqual({ broken: null, anchor: { seq: 5, hash: entries[4].hash } });
    const first = firstBrokenEntry(entries.slice(0, 2), GENESIS);
    expect(firstBrokenEntry(entries.slice(2), first.anchor).broken).toBeNull();
  });

  it('names the first entry whose content changed, whose link broke, or that is missing', () => {
    const edited = chain(5);
    edited[2] = { ...edited[2], after: { status: 'rejected', n: 3 } };
    expect(firstBrokenEntry(edited, GENESIS).broken).toBe(3);

    // A rewritten entry with a recomputed hash breaks the next entry's link.
    const rewritten = chain(5);
    const { hash: _old, ...rest } = { ...rewritten[1], reason: 'rewritten' };
    rewritten[1] = { ...rest, hash: entryHash(rest) };
    expect(firstBrokenEntry(rewritten, GENESIS).broken).toBe(3);

    const gap = chain(5).filter((e) => e.seq !== 4);
    expect(firstBrokenEntry(gap, GENESIS).broken).toBe(4);

    // A chain cut at its start does not follow the genesis.
    expect(firstBrokenEntry(chain(5).slice(2), GENESIS).broken).toBe(1);
  });
});
