import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { DEFAULT_SETTINGS, type IntakeSettings } from './intake-settings.js';

@Injectable()
export class IntakeSettingsRepository {
  constructor(private readonly tx: TransactionHost) {}

  /** The tenant's settings; the defaults until an admin changes them (fields added later take their default). */
  async get(tenantId: string): Promise<IntakeSettings> {
    const [row] = await this.tx.query<{ settings: Partial<IntakeSettings> }>(
      `SELECT settings FROM intake_settings WHERE tenant_id = $1`,
      [tenantId],
    );
    const stored = row?.settings ?? {};
    return {
      ...structuredClone(DEFAULT_SETTINGS),
      ...stored,
      metrics: { ...structuredClone(DEFAULT_SETTINGS.metrics), ...stored.metrics },
      minHistory: { ...DEFAULT_SETTINGS.minHistory, ...stored.minHistory },
      alertmanager: { ...DEFAULT_SETTINGS.alertmanager, ...stored.alertmanager },
    };
  }

  /** Locks the tenant's settings row (when there is one) until the transaction ends. */
  async lock(tenantId: string): Promise<void> {
    await this.tx.query(`SELECT 1 FROM intake_settings WHERE tenant_id = $1 FOR UPDATE`, [tenantId]);
  }

  async save(tenantId: string, settings: IntakeSettings): Promise<void> {
    await this.tx.query(
      `INSERT INTO intake_settings (tenant_id, settings) VALUES ($1, $2)
       ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings, updated_at = now()`,
      [tenantId, JSON.stringify(settings)],
    );
  }
}
