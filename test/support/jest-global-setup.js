// Plain JS: Jest loads global setup outside its module mapper, so this uses the built code
// (`npm test` builds first; the SIGKILL test needs dist/ anyway).
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../dist/src/platform/database/embedded-postgres.js';
import { runMigrations } from '../../dist/src/platform/database/migrate.js';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Migrates one database for the whole run; each test file's database is a copy of it
 * (CREATE DATABASE … TEMPLATE, test-database.ts) instead of migrating its own. The apps still run
 * their migrations at start and find none pending; a migration added since the last build is
 * applied there. test/migrations.test.ts asks for an empty database and migrates it itself.
 */
async function createMigratedTemplate(serverUrl) {
  const name = `pl_template_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  // An empty database: no stored secret to seal, so no SecretBox is needed.
  await runMigrations(url.toString());
  return name;
}

/**
 * One real PostgreSQL for the whole run: DATABASE_URL's server when given, else an embedded
 * one. Each test file then creates its own database on it (see test-database.ts).
 */
export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    process.env.PILLAR_TEST_SERVER_URL = process.env.DATABASE_URL;
  } else {
    const dir = mkdtempSync(path.join(tmpdir(), 'pillar-loop-test-'));
    const db = await startEmbeddedPostgres(path.join(dir, 'pg'), await freePort());
    globalThis.__pillarTestDb = db;
    process.env.PILLAR_TEST_SERVER_URL = db.url;
    process.env.PILLAR_TEST_DIR = dir;
  }
  process.env.PILLAR_TEST_TEMPLATE_DB = await createMigratedTemplate(process.env.PILLAR_TEST_SERVER_URL);
}
