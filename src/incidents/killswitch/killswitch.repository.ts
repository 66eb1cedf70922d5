import { Injectable } from '@nestjs/common';
import { NotifyBatcher } from '../../platform/database/notify-batcher.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { uuidv7 } from '../../platform/ids/uuid-v7.js';
import type { KillSwitchRow } from './killswitch.view.js';

/** Channel told (payload: the tenant id) on commit of every kill switch change, on every replica. */
export const KILLSWITCH_CHANNEL = 'killswitch_changed';

@Injectable()
export class KillSwitchRepository {
  constructor(
    private readonly tx: TransactionHost,
    private readonly notifier: NotifyBatcher,
  ) {}

  /** Serialises changes to one switch (tenant, agent) until the transaction ends, even before its row exists. */
  async lock(tenantId: string, agentId: string): Promise<void> {
    await this.tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
      JSON.stringify(['killswitch', tenantId, agentId]),
    ]);
  }

  async find(tenantId: string, agentId: string): Promise<KillSwitchRow | null> {
    const [row] = await this.tx.query<KillSwitchRow>(
      `SELECT * FROM killswitch_state WHERE tenant_id = $1 AND agent_id = $2`,
      [tenantId, agentId],
    );
    return row ?? null;
  }

  async upsert(
    tenantId: string,
    agentId: string,
    active: boolean,
    reason: string,
    actor: string,
  ): Promise<KillSwitchRow> {
    const [row] = await this.tx.query<KillSwitchRow>(
      `INSERT INTO killswitch_state (id, tenant_id, agent_id, active, reason, changed_by, changed_at)
       VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp())
       ON CONFLICT (tenant_id, agent_id) DO UPDATE
         SET active = EXCLUDED.active, reason = EXCLUDED.reason, changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at
       RETURNING *`,
      [uuidv7(), tenantId, agentId, active, reason, actor],
    );
    return row;
  }

  async list(tenantId: string): Promise<KillSwitchRow[]> {
    return this.tx.query<KillSwitchRow>(`SELECT * FROM killswitch_state WHERE tenant_id = $1 ORDER BY agent_id`, [
      tenantId,
    ]);
  }

  /** What the cache holds: outside any ambient transaction, so a cached answer never depends on one. */
  async activeOutside(tenantId: string): Promise<Array<{ agent_id: string }>> {
    return this.tx.queryOutside<{ agent_id: string }>(
      `SELECT agent_id FROM killswitch_state WHERE tenant_id = $1 AND active ORDER BY agent_id`,
      [tenantId],
    );
  }

  /** Delivered after commit to every replica's cache (see KillSwitchCache). */
  notifyChanged(tenantId: string): void {
    this.notifier.notifyAfterCommit(KILLSWITCH_CHANNEL, tenantId);
  }
}
