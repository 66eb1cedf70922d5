import { Injectable } from '@nestjs/common';
import { lockKey } from '../../platform/database/advisory-lock.js';
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

  /**
   * Serialises changes to the tenant's settings until the transaction ends. A lock on the key, not
   * on the row: a tenant's first change has no row to lock yet.
   */
  lock(tenantId: string): Promise<void> {
    return lockKey(this.tx, `intake:settings:${tenantId}`);
  }

  async save(tenantId: string, settings: IntakeSettings): Promise<void> {
    await this.tx.query(
      `INSERT INTO intake_settings (tenant_id, settings) VALUES ($1, $2)
       ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings, updated_at = now()`,
      [tenantId, JSON.stringify(settings)],
    );
  }
}
