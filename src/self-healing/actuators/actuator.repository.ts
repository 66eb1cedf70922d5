import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../platform/database/transaction-host.js';

export interface ActuatorRow {
  tenant_id: string;
  name: string;
  url: string;
  /** Header name → its value sealed (AES-256-GCM, SecretBox): only the names are ever shown. */
  headers_sealed: Record<string, string>;
  timeout_ms: number;
  secret_sealed: string;
  created_at: Date;
  updated_at: Date;
}

@Injectable()
export class ActuatorRepository {
  constructor(private readonly tx: TransactionHost) {}

  /** The actuator stored last, of any tenant (a sample of the secrets key in use). */
  async newest(): Promise<ActuatorRow | null> {
    const [row] = await this.tx.query<ActuatorRow>(`SELECT * FROM actuators ORDER BY updated_at DESC LIMIT 1`);
    return row ?? null;
  }

  async find(tenantId: string, name: string): Promise<ActuatorRow | null> {
    const [row] = await this.tx.query<ActuatorRow>(`SELECT * FROM actuators WHERE tenant_id = $1 AND name = $2`, [
      tenantId,
      name,
    ]);
    return row ?? null;
  }

  /** The tenant's actuators a run's steps name, and those of `alsoNamed`, by name: what a turn of the run may call. */
  async ofRun(tenantId: string, runId: string, alsoNamed: string[]): Promise<Map<string, ActuatorRow>> {
    const rows = await this.tx.query<ActuatorRow>(
      `SELECT * FROM actuators WHERE tenant_id = $1
          AND (name = ANY($3::text[]) OR name IN (SELECT actuator FROM recovery_run_steps WHERE run_id = $2))`,
      [tenantId, runId, alsoNamed],
    );
    return new Map(rows.map((r) => [r.name, r]));
  }

  list(tenantId: string): Promise<ActuatorRow[]> {
    return this.tx.query<ActuatorRow>(`SELECT * FROM actuators WHERE tenant_id = $1 ORDER BY name`, [tenantId]);
  }

  /**
   * Creates or updates. A new actuator gets `secretSealed`; an existing one keeps its secret
   * unless `rotate` or the stored one is `unopenedSecret` (this replica could not open it: decided on
   * the row this statement holds, so whether `secretSealed` was stored is `row.secret_sealed`), and
   * its headers when `headersSealed` is null (not given).
   */
  async upsert(a: {
    tenantId: string;
    name: string;
    url: string;
    headersSealed: Record<string, string> | null;
    timeoutMs: number;
    secretSealed: string;
    rotate: boolean;
    unopenedSecret: string | null;
  }): Promise<{ row: ActuatorRow; created: boolean }> {
    const headers = a.headersSealed === null ? null : JSON.stringify(a.headersSealed);
    const [row] = await this.tx.query<ActuatorRow & { created: boolean }>(
      `INSERT INTO actuators (tenant_id, name, url, headers_sealed, timeout_ms, secret_sealed)
       VALUES ($1, $2, $3, COALESCE($4::jsonb, '{}'), $5, $6)
       ON CONFLICT (tenant_id, name) DO UPDATE
         SET url = EXCLUDED.url, headers_sealed = COALESCE($4::jsonb, actuators.headers_sealed), timeout_ms = EXCLUDED.timeout_ms,
             secret_sealed = CASE WHEN $7 OR actuators.secret_sealed = $8 THEN EXCLUDED.secret_sealed
                                  ELSE actuators.secret_sealed END,
             updated_at = now()
       RETURNING *, (xmax = 0) AS created`,
      [a.tenantId, a.name, a.url, headers, a.timeoutMs, a.secretSealed, a.rotate, a.unopenedSecret],
    );
    const { created, ...rest } = row;
    return { row: rest, created };
  }

  async delete(tenantId: string, name: string): Promise<boolean> {
    const rows = await this.tx.query(`DELETE FROM actuators WHERE tenant_id = $1 AND name = $2 RETURNING name`, [
      tenantId,
      name,
    ]);
    return rows.length > 0;
  }
}
