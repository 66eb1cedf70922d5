import type { TransactionHost } from './transaction-host.js';

/** Serialises the transactions that take the same `key` (a transaction-scoped advisory lock: released at commit). */
export async function lockKey(tx: TransactionHost, key: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [key]);
}
