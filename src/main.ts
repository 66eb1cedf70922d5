import 'reflect-metadata';
import { startApp } from './bootstrap.js';
import { ConfigError, loadConfigOrExit } from './platform/config/config.js';
import { StartupError } from './platform/database/embedded-postgres.js';
import { DataDirInUseError } from './platform/database/instance-lock.js';
import type { StartLog } from './platform/database/resolve-database.js';
import { DatabaseRefusedError, DatabaseUnavailableError } from './platform/database/wait-for-database.js';

const log: StartLog = (msg, level = 'info') =>
  console.log(JSON.stringify({ level: level === 'warn' ? 40 : 30, time: Date.now(), msg }));

// A bad variable stops the app with a message naming it.
const config = loadConfigOrExit();

const running = await startApp(config, log).catch((err) => {
  // A file a variable names (PLAYBOOK_CATALOG_PATH) that cannot be used: told as any bad variable is, exit 78.
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78);
  }
  // A StartupError says what to change in one line; anything else is a bug, with its stack.
  console.error(
    `pillar-loop failed to start: ${err instanceof StartupError ? err.message : err instanceof Error ? err.stack : err}`,
  );
  // Another process's DATA_DIR, or a DATABASE_URL its server refuses, is a configuration mistake
  // (EX_CONFIG, as for a bad variable); its server not answering within DATABASE_CONNECT_TIMEOUT_S
  // is EX_UNAVAILABLE.
  process.exit(
    err instanceof DataDirInUseError || err instanceof DatabaseRefusedError
      ? 78
      : err instanceof DatabaseUnavailableError
        ? 69
        : 1,
  );
});
log(
  `pillar-loop listening on ${running.url} (database: ${running.database.embedded ? 'embedded PostgreSQL' : 'DATABASE_URL'})`,
);
// Ready: the one line a person looks for (plain, not JSON), with where to sign in.
console.log(
  `\n  pillar-loop is ready. Console: ${running.url}/console/  (sign in with an API key; API reference: ${running.url}/docs)\n`,
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    running.close().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
