import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../database/transaction-host.js';

/** The SQL of `Idempotency-Key` claims (table `idempotency_keys`). */
@Injectable()
export class IdempotencyKeysRepository {
  constructor(private readonly tx: TransactionHost) {}

  /** True: the key is now claimed for `resourceId`; false: it was claimed before. */
  async insert(
    tenantId: string,
    scope: string,
    key: string,
    requestHash: string,
    resourceId: string,
  ): Promise<boolean> {
    const claimed = await this.tx.query(
      `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, resource_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING key`,
      [tenantId, scope, key, requestHash, resourceId],
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
}
