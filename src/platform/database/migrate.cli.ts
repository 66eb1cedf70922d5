// `npm run migration:run` / `npm run migration:revert`, on DATABASE_URL or the embedded database.
import { loadConfigOrExit } from '../config/config.js';
import { secretBoxOf } from '../crypto/secret-box.js';
import { revertLastMigration, runMigrations } from './migrate.js';
import { StartupError } from './postgres-placement.js';
import { resolveDatabase, startFailureExitCode } from './resolve-database.js';

const command = process.argv[2];
if (command !== 'run' && command !== 'revert') {
  console.error('usage: migrate.cli.js run|revert');
  process.exit(2);
}
const config = loadConfigOrExit();
const db = await resolveDatabase(config, (msg) => console.log(msg)).catch((err: unknown) => {
  // One line for what to change, with main.ts's exit code (startFailureExitCode); a bug with its stack.
  if (!(err instanceof StartupError)) throw err;
  console.error(`migration not started: ${err.message}`);
  process.exit(startFailureExitCode(err));
});
// Migrations that seal or open stored secrets use the app's key.
const context = { secretBox: () => secretBoxOf(config) };
try {
  if (command === 'run') {
    const applied = await runMigrations(db.url, context);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
  } else {
    await revertLastMigration(db.url, context);
    console.log('reverted the last migration');
  }
} finally {
  await db.stop();
}
