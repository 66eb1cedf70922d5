import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** The prevHash of a tenant's first entry: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** What an entry is about: `{type: 'recovery', id: '…'}`. */
export interface AuditSubject {
  type: string;
  id: string;
}

/** One entry of a tenant's audit log, as stored, served and exported. */
export interface AuditEntry {
  seq: number;
  /** ISO 8601 UTC with milliseconds (the database's clock when the change committed). */
  at: string;
  /** An API key id, `system` or `auto-apply`. */
  actor: string;
  action: string;
  subject: AuditSubject;
  before: unknown;
  after: unknown;
  reason: string | null;
  prevHash: string;
  /** Lower-case hex SHA-256 of prevHash ‖ canonicalJson(the entry without hash), as UTF-8. */
  hash: string;
}

/** What the caller decides; the chain adds seq, at, prevHash and hash when the transaction commits. */
export type AuditEntryBody = Pick<AuditEntry, 'actor' | 'action' | 'subject' | 'before' | 'after' | 'reason'>;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The entry's hash: SHA-256 over its prevHash followed by the canonical JSON of the entry without `hash`. */
export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const { seq, at, actor, action, subject, before, after, reason, prevHash } = entry;
  return sha256(prevHash + canonicalJson({ seq, at, actor, action, subject, before, after, reason, prevHash }));
}

/**
 * The canonical JSON of an entry without hash, cut where the values known only at commit go: the
 * database joins `f[0] "at" f[1] "prevHash" f[2] seq f[3]` (the quotes around at and prevHash
 * included) under the chain head's lock, and hashes prevHash ‖ that. The keys are in canonical
 * (sorted) order: action, actor, after, at, before, prevHash, reason, seq, subject. The spec
 * checks the joined text equals canonicalJson of the whole entry.
 */
export function entryFragments(body: AuditEntryBody): [string, string, string, string] {
  const c = canonicalJson;
  return [
    `{"action":${c(body.action)},"actor":${c(body.actor)},"after":${c(body.after)},"at":`,
    `,"before":${c(body.before)},"prevHash":`,
    `,"reason":${c(body.reason)},"seq":`,
    `,"subject":${c({ type: body.subject.type, id: body.subject.id })}}`,
  ];
}

/** Where a stretch of the chain must start: the entry before it (or the genesis), as far as known. */
export interface ChainAnchor {
  seq: number;
  hash: string;
}

export const GENESIS: ChainAnchor = { seq: 0, hash: GENESIS_HASH };

/**
 * Checks entries in seq order against the anchor before them: each follows the previous one
 * (seq + 1, prevHash = its hash) and its hash is right. The first entry that does not is broken;
 * null when all hold. Returns the new anchor (the last entry) for checking the next page.
 */
export function firstBrokenEntry(
  entries: AuditEntry[],
  anchor: ChainAnchor,
): { broken: number | null; anchor: ChainAnchor } {
  let previous = anchor;
  for (const entry of entries) {
    if (entry.seq !== previous.seq + 1 || entry.prevHash !== previous.hash || entryHash(entry) !== entry.hash) {
      return { broken: Math.min(entry.seq, previous.seq + 1), anchor: previous };
    }
    previous = { seq: entry.seq, hash: entry.hash };
  }
  return { broken: null, anchor: previous };
}
