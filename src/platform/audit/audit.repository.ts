import { Injectable } from '@nestjs/common';
import { columnsOf, TransactionHost, type DeferredWriter, type Statement } from '../database/transaction-host.js';
import type { AuditEntry, AuditEntryBody } from './chain/audit-chain.js';
import { entryFragments } from './chain/audit-chain.js';
import { canonicalJson } from './chain/canonical-json.js';
import type { AuditCheckpoint, CheckpointKind, RetentionCut } from './chain/checkpoint.js';
import type { ChainVerdict } from './chain/verify-chain.js';

export interface AuditEntryRow {
  tenant_id: string;
  /** bigint: node-postgres reads it as a string. */
  seq: string;
  at: Date;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  before: unknown;
  after: unknown;
  reason: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditCheckpointRow {
  id: string;
  tenant_id: string;
  seq: string;
  hash: string;
  at: Date;
  kind: CheckpointKind;
  cut: RetentionCut | null;
  key_id: string;
  signature: string;
}

export interface AuditHeadRow {
  tenant_id: string;
  seq: string;
  hash: string;
}

export const entryOf = (r: AuditEntryRow): AuditEntry => ({
  seq: Number(r.seq),
  at: r.at.toISOString(),
  actor: r.actor,
  action: r.action,
  subject: { type: r.subject_type, id: r.subject_id },
  before: r.before,
  after: r.after,
  reason: r.reason,
  prevHash: r.prev_hash,
  hash: r.hash,
});

export const checkpointOf = (r: AuditCheckpointRow): AuditCheckpoint => ({
  tenantId: r.tenant_id,
  seq: Number(r.seq),
  hash: r.hash,
  at: r.at.toISOString(),
  kind: r.kind,
  cut: r.cut,
  keyId: r.key_id,
  signature: r.signature,
});

export interface AuditFilter {
  action?: string;
  actor?: string;
  subjectType?: string;
  subjectId?: string;
  since?: string;
  until?: string;
}

@Injectable()
export class AuditRepository {
  constructor(private readonly tx: TransactionHost) {}

  /**
   * Every entry of a transaction in one statement, sent last before its COMMIT: audit_chain locks
   * the tenants' heads, links and hashes the entries, and they are inserted; the head locks are
   * released by the COMMIT right behind it.
   */
  private readonly appendEntries: DeferredWriter<unknown[]> = Object.assign(
    (rows: unknown[][]): Statement[] => [
      {
        sql: `INSERT INTO audit_entries
              SELECT * FROM audit_chain($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                        $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])`,
        params: columnsOf(rows),
      },
    ],
    { last: true },
  );

  appendAtCommit(tenantId: string, body: AuditEntryBody): Promise<void> {
    return this.tx.deferWrite(this.appendEntries, [
      tenantId,
      body.actor,
      body.action,
      body.subject.type,
      body.subject.id,
      canonicalJson(body.before),
      canonicalJson(body.after),
      body.reason,
      ...entryFragments(body),
    ]);
  }

  /** Newest first, keyset-paginated on seq (`beforeSeq`: the last seq of the previous page). */
  async list(tenantId: string, f: AuditFilter, beforeSeq: number | null, limit: number): Promise<AuditEntryRow[]> {
    const where = ['tenant_id = $1'];
    const params: unknown[] = [tenantId];
    const add = (sql: string, value: unknown) => {
      if (value === undefined || value === null) return;
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    add('action = ?', f.action);
    add('actor = ?', f.actor);
    add('subject_type = ?', f.subjectType);
    add('subject_id = ?', f.subjectId);
    add('at >= ?::timestamptz', f.since);
    add('at < ?::timestamptz', f.until);
    add('seq < ?', beforeSeq);
    params.push(limit);
    return this.tx.query<AuditEntryRow>(
      `SELECT * FROM audit_entries WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
  }

  /**
   * Entries after `afterSeq` up to `throughSeq`, in seq order, a page at a time (verification,
   * export). A null bound is no bound: a row stored outside the chain's numbering (seq 0 or less,
   * or past any number a page could name) is read too. Bounds are bigint text or numbers.
   */
  async entriesAfter(
    tenantId: string,
    afterSeq: string | number | null,
    throughSeq: string | number | null,
    limit: number,
  ): Promise<AuditEntryRow[]> {
    const where = ['tenant_id = $1'];
    const params: unknown[] = [tenantId];
    if (afterSeq !== null) where.push(`seq > $${params.push(afterSeq)}::bigint`);
    if (throughSeq !== null) where.push(`seq <= $${params.push(throughSeq)}::bigint`);
    return this.tx.query<AuditEntryRow>(
      `SELECT * FROM audit_entries WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${params.push(limit)}`,
      params,
    );
  }

  /** Makes the current transaction read one snapshot (its first statement): a consistent read of a whole chain. */
  async snapshot(): Promise<void> {
    await this.tx.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
  }

  /**
   * Serialises checkpoints and retention cuts of one tenant (not appends) until the transaction
   * ends. `wait` false: answers false at once when another replica holds it.
   */
  async lockCheckpoints(tenantId: string, wait: boolean): Promise<boolean> {
    const key = `audit-checkpoints ${tenantId}`;
    if (wait) {
      await this.tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [key]);
      return true;
    }
    const [row] = await this.tx.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked`,
      [key],
    );
    return row.locked;
  }

  async head(tenantId: string): Promise<AuditHeadRow | null> {
    const [row] = await this.tx.query<AuditHeadRow>(
      `SELECT tenant_id, seq, hash FROM audit_heads WHERE tenant_id = $1`,
      [tenantId],
    );
    return row ?? null;
  }

  /** The last entry older than `before` (what a retention cut up to that time ends with). */
  async lastEntryBefore(tenantId: string, before: string): Promise<AuditEntryRow | null> {
    const [row] = await this.tx.query<AuditEntryRow>(
      `SELECT * FROM audit_entries WHERE tenant_id = $1 AND at < $2::timestamptz ORDER BY seq DESC LIMIT 1`,
      [tenantId, before],
    );
    return row ?? null;
  }

  async firstSeq(tenantId: string): Promise<number | null> {
    const [row] = await this.tx.query<{ seq: string | null }>(
      `SELECT min(seq) AS seq FROM audit_entries WHERE tenant_id = $1`,
      [tenantId],
    );
    return row.seq === null ? null : Number(row.seq);
  }

  async checkpoints(tenantId: string): Promise<AuditCheckpointRow[]> {
    return this.tx.query<AuditCheckpointRow>(
      `SELECT * FROM audit_checkpoints WHERE tenant_id = $1 ORDER BY seq, at, id`,
      [tenantId],
    );
  }

  async latestCheckpoint(tenantId: string): Promise<AuditCheckpointRow | null> {
    const [row] = await this.tx.query<AuditCheckpointRow>(
      `SELECT * FROM audit_checkpoints WHERE tenant_id = $1 ORDER BY seq DESC, at DESC LIMIT 1`,
      [tenantId],
    );
    return row ?? null;
  }

  /**
   * The tenants of the page after `afterTenant` whose chain is due for its scheduled verification
   * (none started within `intervalMs`), claimed by this replica in one statement, so replicas
   * share a round; rows not due are not touched. A tenant seen for the first time is due at a
   * random moment of the next interval, so chains seen together are not verified together.
   * Tenants are those with a chain head and those with entries stored: a chain forged for a tenant
   * with no head row is verified too (the entries' tenants are found by a skip scan of their
   * primary key, one index probe per tenant). `last`: the page's last tenant (null: no tenant
   * after `afterTenant`).
   */
  async claimVerifications(
    afterTenant: string,
    limit: number,
    intervalMs: number,
  ): Promise<{ claimed: string[]; last: string | null }> {
    const [row] = await this.tx.query<{ claimed: string[]; last: string | null }>(
      `WITH RECURSIVE stored AS (
              (SELECT tenant_id FROM audit_entries WHERE tenant_id > $1 ORDER BY tenant_id LIMIT 1)
              UNION ALL
              SELECT (SELECT e.tenant_id FROM audit_entries e WHERE e.tenant_id > s.tenant_id ORDER BY e.tenant_id LIMIT 1)
                FROM stored s WHERE s.tenant_id IS NOT NULL),
            page AS (SELECT tenant_id FROM (SELECT tenant_id FROM audit_heads WHERE tenant_id > $1 ORDER BY tenant_id LIMIT $2) h
                     UNION
                     SELECT tenant_id FROM (SELECT tenant_id FROM stored WHERE tenant_id IS NOT NULL LIMIT $2) e
                     ORDER BY tenant_id LIMIT $2),
            due AS (SELECT p.tenant_id FROM page p LEFT JOIN audit_verifications v USING (tenant_id)
                     WHERE v.tenant_id IS NULL OR v.started_at <= now() - make_interval(secs => $3::double precision / 1000)),
            marked AS (
              INSERT INTO audit_verifications (tenant_id, started_at)
              SELECT tenant_id, now() - random() * make_interval(secs => $3::double precision / 1000) FROM due
              ON CONFLICT (tenant_id) DO UPDATE SET started_at = now()
                 WHERE audit_verifications.started_at <= now() - make_interval(secs => $3::double precision / 1000)
              RETURNING tenant_id, (xmax = 0) AS inserted)
       SELECT coalesce((SELECT array_agg(tenant_id ORDER BY tenant_id) FROM marked WHERE NOT inserted), '{}') AS claimed,
              (SELECT max(tenant_id) FROM page) AS last`,
      [afterTenant, limit, intervalMs],
    );
    return row;
  }

  /** Claims this replica did not get to (it is stopping): due again at once, for whichever replica looks next. */
  async releaseVerifications(tenantIds: string[]): Promise<void> {
    if (tenantIds.length > 0)
      await this.tx.query(`UPDATE audit_verifications SET started_at = '-infinity' WHERE tenant_id = ANY($1::text[])`, [
        tenantIds,
      ]);
  }

  /**
   * Records what a verification found (scheduled, or GET /audit/verify), in the caller's
   * transaction; whether it differs from the verdict recorded before (`ok`, `first_broken_seq`,
   * `problem`; none recorded: it differs). The tenant's row is made if missing (due for the schedule
   * as a tenant first seen is, at a random moment of the next interval) and locked before it is
   * compared, so of two verifications at once the second sees the first's verdict.
   */
  async recordVerification(tenantId: string, v: ChainVerdict, intervalMs: number): Promise<{ changed: boolean }> {
    await this.tx.query(
      `INSERT INTO audit_verifications (tenant_id, started_at)
       VALUES ($1, now() - random() * make_interval(secs => $2::double precision / 1000))
       ON CONFLICT (tenant_id) DO NOTHING`,
      [tenantId, intervalMs],
    );
    const verdict = [v.ok, v.firstBrokenSeq ?? null, v.problem ?? null];
    const [{ changed }] = await this.tx.query<{ changed: boolean }>(
      `SELECT (ok, first_broken_seq, problem) IS DISTINCT FROM ($2::boolean, $3::bigint, $4::text) AS changed
         FROM audit_verifications WHERE tenant_id = $1 FOR UPDATE`,
      [tenantId, ...verdict],
    );
    await this.tx.query(
      `UPDATE audit_verifications SET finished_at = now(), ok = $2, entries = $3, first_broken_seq = $4, problem = $5
        WHERE tenant_id = $1`,
      [tenantId, v.ok, v.entries, ...verdict.slice(1)],
    );
    return { changed };
  }

  /** The checkpoint signed last, of any tenant (ids are UUIDv7: the primary key's last). */
  async newestCheckpoint(): Promise<AuditCheckpointRow | null> {
    const [row] = await this.tx.query<AuditCheckpointRow>(`SELECT * FROM audit_checkpoints ORDER BY id DESC LIMIT 1`);
    return row ?? null;
  }

  async insertCheckpoint(id: string, c: AuditCheckpoint): Promise<void> {
    await this.tx.query(
      `INSERT INTO audit_checkpoints (id, tenant_id, seq, hash, at, kind, cut, key_id, signature)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        id,
        c.tenantId,
        c.seq,
        c.hash,
        c.at,
        c.kind,
        c.cut === null ? null : JSON.stringify(c.cut),
        c.keyId,
        c.signature,
      ],
    );
  }

  /** The database's clock, in milliseconds (the time a checkpoint is signed at). */
  async now(): Promise<Date> {
    const [row] = await this.tx.query<{ now: Date }>(`SELECT date_trunc('milliseconds', clock_timestamp()) AS now`);
    return row.now;
  }

  /** Tenants (after `afterTenant`, in order) whose chain moved past their latest checkpoint. */
  async tenantsAheadOfCheckpoint(afterTenant: string, limit: number): Promise<string[]> {
    const rows = await this.tx.query<{ tenant_id: string }>(
      `SELECT h.tenant_id FROM audit_heads h
        WHERE h.tenant_id > $1
          AND h.seq > coalesce((SELECT max(c.seq) FROM audit_checkpoints c WHERE c.tenant_id = h.tenant_id), 0)
        ORDER BY h.tenant_id LIMIT $2`,
      [afterTenant, limit],
    );
    return rows.map((r) => r.tenant_id);
  }

  /**
   * Deletes the tenant's entries up to `throughSeq`, the one DELETE the append-only trigger lets
   * through (it names the tenant and the last seq in transaction-local settings). Only for a
   * retention cut whose checkpoint is written in the same transaction.
   */
  async cut(tenantId: string, throughSeq: number): Promise<number> {
    await this.tx.query(
      `SELECT set_config('pillar_loop.audit_cut_tenant', $1, true),
              set_config('pillar_loop.audit_cut_through', $2, true)`,
      [tenantId, String(throughSeq)],
    );
    const rows = await this.tx.query(`DELETE FROM audit_entries WHERE tenant_id = $1 AND seq <= $2 RETURNING seq`, [
      tenantId,
      throughSeq,
    ]);
    await this.tx.query(
      `SELECT set_config('pillar_loop.audit_cut_tenant', '', true),
              set_config('pillar_loop.audit_cut_through', '', true)`,
    );
    return rows.length;
  }
}
