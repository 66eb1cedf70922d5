import 'reflect-metadata';
import { ConfigError, loadConfigOrExit } from './platform/config/config.js';
import type { StartLog } from './platform/database/resolve-database.js';

const log: StartLog = (msg, level = 'info') =>
  console.log(JSON.stringify({ level: level === 'warn' ? 40 : 30, time: Date.now(), msg }));

// A bad variable stops the app with a message naming it, before the app's modules are even loaded
// (about two seconds): a failed start says so at once.
const config = loadConfigOrExit();
const [{ startApp }, { StartupError }, { startFailureExitCode }] = await Promise.all([
  import('./bootstrap.js'),
  import('./platform/database/embedded-postgres.js'),
  import('./platform/database/resolve-database.js'),
]);

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
  process.exit(startFailureExitCode(err));
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
