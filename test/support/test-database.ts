import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A fresh database on the test server, so every test file starts from nothing of another's.
 * By default a copy of the run's migrated template (see jest-global-setup.js): every migration
 * applied, no rows written by any test. Copying it is a file copy on the server, where migrating
 * each database took about 0.4 s. `{ empty: true }` gives a database with no migration applied,
 * for the tests of the migrations themselves.
 */
export async function createTestDatabase({ empty = false }: { empty?: boolean } = {}): Promise<string> {
  const serverUrl = process.env.PILLAR_TEST_SERVER_URL ?? process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('no test PostgreSQL: run through jest (global setup) or set DATABASE_URL');
  // Without the global setup (a file run through another runner) there is no template: migrating
  // is then left to the app's start, as it is in production.
  const template = empty ? undefined : process.env.PILLAR_TEST_TEMPLATE_DB;
  const name = `pl_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
