// Plain JS: Jest loads global setup outside its module mapper, so this uses the built code
// (`npm test` builds first; the SIGKILL test needs dist/ anyway).
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../dist/src/platform/database/embedded-postgres.js';

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
 * One real PostgreSQL for the whole run: DATABASE_URL's server when given, else an embedded
 * one. Each test file then creates its own database on it (see test-database.ts).
 */
export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    process.env.PILLAR_TEST_SERVER_URL = process.env.DATABASE_URL;
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'pillar-loop-test-'));
  const db = await startEmbeddedPostgres(path.join(dir, 'pg'), await freePort());
  globalThis.__pillarTestDb = db;
  process.env.PILLAR_TEST_SERVER_URL = db.url;
  process.env.PILLAR_TEST_DIR = dir;
}
