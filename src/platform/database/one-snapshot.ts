import type { TransactionHost } from './transaction-host.js';

/**
 * Runs `reads` in one snapshot: a REPEATABLE READ, READ ONLY transaction, so reads sent together
 * (Promise.all, and queries on the bus: the transaction is ambient) see a change committed meanwhile
 * whole or not at all. On separate pool connections each read has a moment of its own, and a change
 * that commits between them shows half of itself. The SETs leave with the BEGIN and the reads (one
 * round trip); the snapshot is taken by the first read after it. Inside a transaction already, the
 * reads join it as it is: its isolation cannot be changed once it has run a statement.
 */
export function inOneSnapshot<T>(tx: TransactionHost, reads: () => Promise<T>): Promise<T> {
  if (tx.inTransaction) return reads();
  return tx.run(async () => {
    const [, , result] = await Promise.all([
      tx.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`),
      // Listings keep PostgreSQL's own plan choice, as outside a transaction (ADR 0005).
      tx.query(`SET LOCAL plan_cache_mode = auto`),
      reads(),
    ]);
    return result;
  });
}
