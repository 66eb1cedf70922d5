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

/**
 * Applies pending migrations. Replicas starting together take an advisory lock so only
 * one of them migrates; the others then find nothing pending.
 */
export async function runMigrations(url: string, context: MigrationContext = {}): Promise<string[]> {
  const ds = await dataSource(url, context);
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
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
