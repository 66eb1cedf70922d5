import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../database/transaction-host.js';
import { uuidv7 } from '../../ids/uuid-v7.js';
import type { Role } from '../principal.js';

/** The key_prefix of a key supplied rather than generated (ADMIN_API_KEY): none of the secret is kept in the clear. */
export const SUPPLIED_KEY_PREFIX = 'ADMIN_API_KEY';

export interface KeyRow {
  id: string;
  tenant_id: string;
  name: string;
  role: Role;
  platform_admin: boolean;
  key_prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface NewKey {
  tenantId: string;
  name: string;
  role: Role;
  platformAdmin: boolean;
  keyHash: string;
  keyPrefix: string;
}

/** The SQL of API keys (table `api_keys`; keys are stored by their hash). */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly tx: TransactionHost) {}

  /** The key's row while it is not revoked (outside any transaction: every request asks). */
  async findActive(keyHash: string): Promise<KeyRow | undefined> {
    const [found] = await this.tx.queryOutside<KeyRow>(
      `SELECT id, tenant_id, name, role, platform_admin FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
      [keyHash],
    );
    return found;
  }

  /** Of these keys (by id), the ones not revoked (outside any transaction). */
  async activeOf(ids: string[]): Promise<Set<string>> {
    const rows = await this.tx.queryOutside<{ id: string }>(
      `SELECT id FROM api_keys WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL`,
      [ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Notes that the key was used (informational, outside any transaction). */
  async touch(id: string): Promise<void> {
    await this.tx.queryOutside(`UPDATE api_keys SET last_used_at = now() WHERE id = $1`, [id]);
  }

  async insert(k: NewKey): Promise<KeyRow> {
    const [row] = await this.tx.query<KeyRow>(
      `INSERT INTO api_keys (id, tenant_id, name, role, platform_admin, key_hash, key_prefix)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [uuidv7(), k.tenantId, k.name, k.role, k.platformAdmin, k.keyHash, k.keyPrefix],
    );
    return row;
  }

  list(): Promise<KeyRow[]> {
    return this.tx.query<KeyRow>(`SELECT * FROM api_keys ORDER BY created_at, id`);
  }

  count(): Promise<number> {
    return this.tx.query<{ count: number }>(`SELECT count(*)::int AS count FROM api_keys`).then(([r]) => r.count);
  }

  /** The key, locked until the transaction ends; undefined: no such key. */
  async lock(id: string): Promise<KeyRow | undefined> {
    const [row] = await this.tx.query<KeyRow>(`SELECT * FROM api_keys WHERE id = $1 FOR UPDATE`, [id]);
    return row;
  }

  /** Revokes the key (once; a second revocation keeps the first time) and ends its console sessions. Undefined: no such key. */
  async revoke(id: string): Promise<KeyRow | undefined> {
    const [row] = await this.tx.query<KeyRow>(
      `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING *`,
      [id],
    );
    if (!row) return undefined;
    // The session lookup also checks revoked_at; this just leaves no dead sessions behind.
    await this.tx.query(`DELETE FROM console_sessions WHERE key_id = $1`, [id]);
    return row;
  }

  /** Makes the key with this hash an unrevoked platform admin. False: no such key. */
  async restoreAdmin(keyHash: string): Promise<boolean> {
    const rows = await this.tx.query(
      `UPDATE api_keys SET revoked_at = NULL, platform_admin = true, role = 'admin', key_prefix = $2 WHERE key_hash = $1 RETURNING id`,
      [keyHash, SUPPLIED_KEY_PREFIX],
    );
    return rows.length > 0;
  }

  /** Replicas starting together take turns (transaction-scoped lock): only one generates a key. */
  async lockBootstrap(): Promise<void> {
    await this.tx.query(`SELECT pg_advisory_xact_lock(727002)`);
  }
}
