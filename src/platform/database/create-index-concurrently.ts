import type { QueryRunner } from 'typeorm';

/**
 * Builds an index without blocking the table's writes, for a migration that indexes a table the
 * service already writes: in a rolling deploy the replicas still on the old version keep taking
 * incidents, deliveries and keys while the new one migrates, and a plain CREATE INDEX would hold
 * every write until the whole table is read. Such a migration sets `transaction = false`
 * (CONCURRENTLY cannot run in a transaction) and is written to run again from any point.
 *
 * A build that failed or was cut off leaves an INVALID index of that name, which writes keep
 * updating and no query uses: it is dropped and built again. A valid one is kept (built before
 * the migration could be recorded).
 */
export async function createIndexConcurrently(q: QueryRunner, name: string, definition: string): Promise<void> {
  const [existing] = (await q.query(
    `SELECT i.indisvalid AS valid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
      WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace`,
    [name],
  )) as Array<{ valid: boolean }>;
  if (existing?.valid) return;
  if (existing) await q.query(`DROP INDEX CONCURRENTLY ${name}`);
  await q.query(`CREATE INDEX CONCURRENTLY ${name} ON ${definition}`);
}
