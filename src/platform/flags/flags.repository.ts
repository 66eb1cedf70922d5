import { Injectable } from '@nestjs/common';
import type { FlagName } from '../config/config.js';
import { lockKey } from '../database/advisory-lock.js';
import { TransactionHost } from '../database/transaction-host.js';

export interface FlagRow {
  name: FlagName;
  tenant_id: string;
  enabled: boolean;
  updated_by: string;
  updated_at: Date;
}

export interface FlagChangeRow {
  name: string;
  tenant_id: string;
  old_enabled: boolean | null;
  new_enabled: boolean;
  changed_by: string;
  changed_at: Date;
}

/** The SQL of feature flags (tenant '' = global) and their history. */
@Injectable()
export class FlagsRepository {
  constructor(private readonly tx: TransactionHost) {}

  /** The global rows and the tenant's (outside any transaction: read on every delivery, cached by the caller). */
  rowsOf(tenantId: string): Promise<FlagRow[]> {
    return this.tx.queryOutside<FlagRow>(
      `SELECT name, tenant_id, enabled, updated_by, updated_at FROM feature_flags WHERE tenant_id IN ('', $1)`,
      [tenantId],
    );
  }

  /** Sets the flag and keeps the change in its history; answers what it was before (null: never set). */
  async set(name: FlagName, enabled: boolean, tenantId: string, actor: string): Promise<boolean | null> {
    // A lock on the key, not the row: a flag's first change has no row to lock, and two first
    // changes at once would both record "never set" as what it was before.
    await lockKey(this.tx, `flag:${tenantId}:${name}`);
    const [old] = await this.tx.query<{ enabled: boolean }>(
      `SELECT enabled FROM feature_flags WHERE name = $1 AND tenant_id = $2`,
      [name, tenantId],
    );
    await this.tx.query(
      `INSERT INTO feature_flags (name, tenant_id, enabled, updated_by, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (name, tenant_id) DO UPDATE SET enabled = EXCLUDED.enabled, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [name, tenantId, enabled, actor],
    );
    await this.tx.query(
      `INSERT INTO feature_flag_changes (name, tenant_id, old_enabled, new_enabled, changed_by) VALUES ($1, $2, $3, $4, $5)`,
      [name, tenantId, old ? old.enabled : null, enabled, actor],
    );
    return old ? old.enabled : null;
  }

  /** The latest changes of the global flags and the tenant's, newest first. */
  history(tenantId: string, limit: number): Promise<FlagChangeRow[]> {
    return this.tx.query<FlagChangeRow>(
      `SELECT name, tenant_id, old_enabled, new_enabled, changed_by, changed_at FROM feature_flag_changes
       WHERE tenant_id IN ('', $1) ORDER BY id DESC LIMIT $2`,
      [tenantId, limit],
    );
  }
}
