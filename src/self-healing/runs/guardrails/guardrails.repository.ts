import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { settingsFrom, type GuardrailSettings } from './guardrail-settings.js';

export interface StoredGuardrails {
  settings: GuardrailSettings;
  updatedAt: Date | null;
  updatedBy: string | null;
}

interface GuardrailsRow {
  settings: Partial<GuardrailSettings>;
  updated_by: string;
  updated_at: Date;
}

/** `self_healing_guardrails`: one settings document per tenant. */
@Injectable()
export class GuardrailsRepository {
  constructor(private readonly tx: TransactionHost) {}

  /** The tenant's settings (the defaults, with null `updatedAt`/`updatedBy`, until an admin sets them). */
  async get(tenantId: string): Promise<StoredGuardrails> {
    const [row] = await this.tx.query<GuardrailsRow>(
      `SELECT settings, updated_by, updated_at FROM self_healing_guardrails WHERE tenant_id = $1`,
      [tenantId],
    );
    return {
      settings: settingsFrom(row?.settings),
      updatedAt: row?.updated_at ?? null,
      updatedBy: row?.updated_by ?? null,
    };
  }

  /**
   * Takes the tenant's guardrail lock (an advisory lock held until the transaction ends) and reads,
   * under it, the tenant's settings and the database's clock. Sent together (one round trip), run
   * in this order.
   */
  async lockAndRead(tenantId: string): Promise<{ now: Date; settings: GuardrailSettings }> {
    const [, read] = await Promise.all([
      this.tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`self-healing:guardrails:${tenantId}`]),
      this.read(tenantId),
    ]);
    return read;
  }

  /** The tenant's settings and the database's clock, without the lock. */
  async read(tenantId: string): Promise<{ now: Date; settings: GuardrailSettings }> {
    const [row] = await this.tx.query<{ now: Date; settings: Partial<GuardrailSettings> | null }>(
      `SELECT clock_timestamp() AS now, (SELECT settings FROM self_healing_guardrails WHERE tenant_id = $1) AS settings`,
      [tenantId],
    );
    return { now: row.now, settings: settingsFrom(row.settings) };
  }

  /** Replaces the tenant's settings whole. */
  async save(tenantId: string, settings: GuardrailSettings, actor: string): Promise<StoredGuardrails> {
    const [row] = await this.tx.query<GuardrailsRow>(
      `INSERT INTO self_healing_guardrails (tenant_id, settings, updated_by, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (tenant_id) DO UPDATE SET settings = EXCLUDED.settings, updated_by = EXCLUDED.updated_by, updated_at = now()
       RETURNING settings, updated_by, updated_at`,
      [tenantId, JSON.stringify(settings), actor],
    );
    return { settings: settingsFrom(row.settings), updatedAt: row.updated_at, updatedBy: row.updated_by };
  }
}
