// `npm run migration:run` / `npm run migration:revert`, on DATABASE_URL or the embedded database.
import { loadConfig } from '../config/config.js';
import { resolveDatabase } from './resolve-database.js';
import { revertLastMigration, runMigrations } from './migrate.js';

const command = process.argv[2];
if (command !== 'run' && command !== 'revert') {
  console.error('usage: migrate.cli.js run|revert');
  process.exit(2);
}
const db = await resolveDatabase(loadConfig(), (msg) => console.log(msg));
try {
  if (command === 'run') {
    const applied = await runMigrations(db.url);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
  } else {
    await revertLastMigration(db.url);
    console.log('reverted the last migration');
  }
} finally {
  await db.stop();
}
