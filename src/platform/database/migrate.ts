import { DataSource } from 'typeorm';
import type { SecretBox } from '../crypto/secret-box.js';
import { dataSourceOptions } from './data-source-options.js';

/**
 * What some migrations need beyond SQL: the app's SecretBox, for migrations that seal or open
 * stored secrets (a function, so the key is only loaded, or generated, when one needs it).
 */
export interface MigrationContext {
  secretBox?: () => SecretBox;
}

async function dataSource(url: string, context: MigrationContext): Promise<DataSource> {
  const ds = new DataSource(dataSourceOptions(url, 2));
  await ds.initialize();
  for (const migration of ds.migrations)
    if ('secretBox' in migration) Object.assign(migration, { secretBox: context.secretBox ?? null });
  return ds;
}

// Any constant works; it only has to be the same for every replica.
const MIGRATION_LOCK = 727_001;
const LOCK_POLL_MS = 250;

/**
 * Applies pending migrations. Replicas starting together take an advisory lock so only
 * one of them migrates; the others then find nothing pending.
 *
 * The others wait by asking again (pg_try_advisory_lock), never inside pg_advisory_lock(): a
 * statement waiting there holds a snapshot, and an index built CONCURRENTLY by the migrating
 * replica waits for every older snapshot to end, while the lock it waits for is held by that
 * replica's other connection. PostgreSQL sees no cycle, and both would wait for ever.
 */
export async function runMigrations(url: string, context: MigrationContext = {}): Promise<string[]> {
  const ds = await dataSource(url, context);
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    while (!(await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK]))[0].locked)
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
    await ds.destroy();
  }
}

export async function revertLastMigration(url: string, context: MigrationContext = {}): Promise<void> {
  const ds = await dataSource(url, context);
  try {
    await ds.undoLastMigration({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
}
