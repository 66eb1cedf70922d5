import { Injectable } from '@nestjs/common';
import { keyIdOfActor } from '../auth/principal.js';
import { storableText } from '../database/storable.js';
import { AuditRepository } from './audit.repository.js';
import type { AuditSubject } from './chain/audit-chain.js';
import { jsonData } from './chain/canonical-json.js';

/**
 * One decision to record. Actions read `<subject>.<what happened>`: `recovery.approved`,
 * `policy.activated`, `flag.changed`.
 */
export interface AuditRecord {
  tenantId: string;
  /**
   * Who decided: an API key id, `system` or `auto-apply`. An actorOf(principal) label counts as
   * its key id; any other label (`run …`, `lease`, `monitoring`) is the system (say why in `reason`).
   */
  actor: string;
  action: string;
  subject: AuditSubject;
  /** The state before and after (JSON data; never a secret or a header value). Left out: null. */
  before?: unknown;
  after?: unknown;
  reason?: string | null;
}

export const AUDIT_ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

/**
 * The append API of the audit log (DESIGN §12, ADR 0016), for every module. `record()` joins the
 * caller's transaction (TransactionHost.run; outside one it writes in its own): the entry is
 * written with that transaction's COMMIT, or not at all. Its place in the tenant's chain (seq,
 * time, prevHash, hash) is given at commit, under the chain head's lock, so writers on any
 * replica never fork the chain and the lock is held only while the transaction commits.
 */
@Injectable()
export class AuditTrail {
  constructor(private readonly repository: AuditRepository) {}

  record(entry: AuditRecord): Promise<void> {
    if (!AUDIT_ACTION.test(entry.action)) throw new Error(`audit action "${entry.action}" must read like subject.verb`);
    if (!entry.tenantId) throw new Error('an audit entry needs a tenant');
    // Texts too as stored: a lone surrogate (a title cut in the middle of an emoji) would be hashed
    // as it is but stored as U+FFFD, and the entry would never verify again.
    return this.repository.appendAtCommit(entry.tenantId, {
      actor: storableText(auditActor(entry.actor)),
      action: entry.action,
      subject: { type: storableText(entry.subject.type), id: storableText(entry.subject.id) },
      before: jsonData(entry.before),
      after: jsonData(entry.after),
      reason: entry.reason == null ? null : storableText(entry.reason),
    });
  }
}

/** The actor as the log names it: an API key id, `auto-apply`, or `system`. */
export function auditActor(actor: string): string {
  if (actor === 'auto-apply') return actor;
  return keyIdOfActor(actor) ?? 'system';
}
