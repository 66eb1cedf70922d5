import { rmSync } from 'node:fs';
import pg from 'pg';

export default async function globalTeardown() {
  if (globalThis.__pillarTestDb) {
    await globalThis.__pillarTestDb.stop();
  } else if (process.env.PILLAR_TEST_TEMPLATE_DB && process.env.PILLAR_TEST_SERVER_URL) {
    // DATABASE_URL's server outlives the run: the template is not left on it.
    const admin = new pg.Client({ connectionString: process.env.PILLAR_TEST_SERVER_URL });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${process.env.PILLAR_TEST_TEMPLATE_DB}`);
    } finally {
      await admin.end();
    }
  }
  if (process.env.PILLAR_TEST_DIR) rmSync(process.env.PILLAR_TEST_DIR, { recursive: true, force: true });
}
