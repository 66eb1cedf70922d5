import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../../platform/database/transaction-host.js';

/**
 * How long an unmatched resolution is kept: the longest `lateCopySeconds` a tenant may set. Past it
 * a row counts for no tenant's window, so the pruner deletes it.
 */
export const UNMATCHED_RESOLUTION_KEEP_SECONDS = 600;

/**
 * Resolved alerts that found no unresolved incident (the SQL of `unmatched_alert_resolutions`): an
 * HA Alertmanager pair may deliver an episode's resolution before its firing.
 */
@Injectable()
export class UnmatchedResolutionsRepository {
  constructor(private readonly tx: TransactionHost) {}

  /** Remembers one episode's resolution; a second delivery of it (the HA peer's) adds nothing. */
  async remember(tenantId: string, fingerprint: string, startsAt: Date, endsAt: Date): Promise<void> {
    await this.tx.query(
      `INSERT INTO unmatched_alert_resolutions (tenant_id, fingerprint, starts_at, ends_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, fingerprint, starts_at, ends_at) DO NOTHING`,
      [tenantId, fingerprint, startsAt, endsAt],
    );
  }

  /**
   * Per fingerprint, the latest `endsAt` among its unmatched resolutions received within `withinMs`
   * (database clock).
   */
  async lastEnds(tenantId: string, fingerprints: string[], withinMs: number): Promise<Map<string, Date>> {
    if (fingerprints.length === 0) return new Map();
    const rows = await this.tx.query<{ fingerprint: string; ends_at: Date }>(
      `SELECT fingerprint, max(ends_at) AS ends_at FROM unmatched_alert_resolutions
        WHERE tenant_id = $1 AND fingerprint = ANY($2::text[])
          AND received_at > now() - make_interval(secs => $3::float8 / 1000)
        GROUP BY fingerprint`,
      [tenantId, fingerprints, withinMs],
    );
    return new Map(rows.map((r) => [r.fingerprint, r.ends_at]));
  }

  /** Deletes one batch of rows older than any tenant's window; how many. */
  async prune(batch = 5000): Promise<number> {
    const rows = await this.tx.queryOutside(
      `DELETE FROM unmatched_alert_resolutions WHERE ctid = ANY (ARRAY(
         SELECT ctid FROM unmatched_alert_resolutions WHERE received_at < now() - make_interval(secs => $1)
          LIMIT $2 FOR UPDATE SKIP LOCKED))
       RETURNING 1`,
      [UNMATCHED_RESOLUTION_KEEP_SECONDS, batch],
    );
    return rows.length;
  }
}
