import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../database/transaction-host.js';

/** The SQL of `Idempotency-Key` claims (table `idempotency_keys`). */
@Injectable()
export class IdempotencyKeysRepository {
  constructor(private readonly tx: TransactionHost) {}

  /**
   * True: the key is now claimed for `resourceId`, being new or its claim older than `ttlHours`
   * (taken over in place, whether or not a prune got to it); false: it is claimed, within the TTL.
   * Either way the key's row stays locked until the caller's transaction ends, so no prune
   * deletes it in between.
   */
  async insert(
    tenantId: string,
    scope: string,
    key: string,
    requestHash: string,
    resourceId: string,
    ttlHours: number,
  ): Promise<boolean> {
    const claimed = await this.tx.query(
      `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, resource_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, scope, key) DO UPDATE
          SET request_hash = EXCLUDED.request_hash, resource_id = EXCLUDED.resource_id, created_at = now()
        WHERE idempotency_keys.created_at < now() - make_interval(hours => $6)
       RETURNING key`,
      [tenantId, scope, key, requestHash, resourceId, ttlHours],
    );
    return claimed.length > 0;
  }

  async find(tenantId: string, scope: string, key: string): Promise<{ request_hash: string; resource_id: string }> {
    const [earlier] = await this.tx.query<{ request_hash: string; resource_id: string }>(
      `SELECT request_hash, resource_id FROM idempotency_keys WHERE tenant_id = $1 AND scope = $2 AND key = $3`,
      [tenantId, scope, key],
    );
    return earlier;
  }

  /**
   * Deletes up to `batch` claims older than `ttlHours`, found through idx_idempotency_keys_created
   * and locked (skipping any a request holds), then deleted by row address; how many. The lock
   * checks the age again on the row's latest version, so a claim taken over meanwhile stays; a
   * request reusing a key locked here waits, and then claims it anew.
   */
  async prune(ttlHours: number, batch = 5000): Promise<number> {
    const rows = await this.tx.queryOutside(
      `DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
         SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)
          LIMIT $2 FOR UPDATE SKIP LOCKED))
       RETURNING 1`,
      [ttlHours, batch],
    );
    return rows.length;
  }
}
