import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A fresh, empty database on the test server, so every test file starts from nothing. */
export async function createTestDatabase(): Promise<string> {
  const serverUrl = process.env.PILLAR_TEST_SERVER_URL ?? process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('no test PostgreSQL: run through jest (global setup) or set DATABASE_URL');
  const name = `pl_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
