import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import type { ChannelRow, ChannelType } from './channel.view.js';

export interface ChannelFields {
  tenantId: string;
  name: string;
  type: ChannelType;
  urlSealed: string;
  urlShown: string;
  /** A webhook channel: the secret this PUT sealed, stored when upsert decides so; slack: null. */
  secretSealed: string | null;
  /** Whether a webhook channel's stored secret is replaced by `secretSealed` (rotateSecret). */
  rotate: boolean;
  /** A stored secret this replica could not open (another SECRETS_KEY): replaced too, if still stored. */
  unopenedSecret: string | null;
  timeoutMs: number;
}

@Injectable()
export class ChannelRepository {
  constructor(private readonly tx: TransactionHost) {}

  /** The channel stored last, of any tenant (a sample of the secrets key in use). */
  async newest(): Promise<ChannelRow | null> {
    const [row] = await this.tx.query<ChannelRow>(
      `SELECT * FROM notification_channels ORDER BY updated_at DESC LIMIT 1`,
    );
    return row ?? null;
  }

  list(tenantId: string): Promise<ChannelRow[]> {
    return this.tx.query<ChannelRow>(`SELECT * FROM notification_channels WHERE tenant_id = $1 ORDER BY name`, [
      tenantId,
    ]);
  }

  async find(tenantId: string, name: string): Promise<ChannelRow | null> {
    const [row] = await this.tx.query<ChannelRow>(
      `SELECT * FROM notification_channels WHERE tenant_id = $1 AND name = $2`,
      [tenantId, name],
    );
    return row ?? null;
  }

  /**
   * Creates or updates. The stored secret is decided here, on the row as it is when this statement
   * holds it, not on what was read before: a new channel gets `secretSealed`; an existing one keeps
   * its secret unless rotating, the stored one is the unopened one, or it was not a webhook channel
   * (a Slack channel has none). Whether `secretSealed` was stored: `row.secret_sealed` is it (two
   * concurrent first PUTs: one creates, the other keeps its secret and shows none).
   */
  async upsert(c: ChannelFields): Promise<{ row: ChannelRow; created: boolean }> {
    const [row] = await this.tx.query<ChannelRow & { created: boolean }>(
      `INSERT INTO notification_channels (tenant_id, name, type, url_sealed, url_shown, secret_sealed, timeout_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant_id, name) DO UPDATE
         SET type = EXCLUDED.type, url_sealed = EXCLUDED.url_sealed, url_shown = EXCLUDED.url_shown,
             timeout_ms = EXCLUDED.timeout_ms, updated_at = now(),
             secret_sealed = CASE
               WHEN EXCLUDED.type <> 'webhook' OR $8 OR notification_channels.type <> 'webhook'
                 OR notification_channels.secret_sealed IS NULL OR notification_channels.secret_sealed = $9
               THEN EXCLUDED.secret_sealed ELSE notification_channels.secret_sealed END
       RETURNING *, (xmax = 0) AS created`,
      [c.tenantId, c.name, c.type, c.urlSealed, c.urlShown, c.secretSealed, c.timeoutMs, c.rotate, c.unopenedSecret],
    );
    const { created, ...rest } = row;
    return { row: rest, created };
  }

  async delete(tenantId: string, name: string): Promise<boolean> {
    const rows = await this.tx.query(
      `DELETE FROM notification_channels WHERE tenant_id = $1 AND name = $2 RETURNING name`,
      [tenantId, name],
    );
    return rows.length > 0;
  }
}
