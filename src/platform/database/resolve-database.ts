import path from 'node:path';
import type { AppConfig } from '../config/config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { acquireInstanceLock, DataDirInUseError } from './instance-lock.js';
import { DatabaseRefusedError, DatabaseUnavailableError, waitForDatabase } from './wait-for-database.js';

/** How start-up says what it does: `warn` for what may need a person (a database not reachable yet). */
export type StartLog = (msg: string, level?: 'info' | 'warn') => void;

/**
 * The exit code of a start (the app's or the migration command's) that `err` stopped: what
 * configuration must change (another process's DATA_DIR, a DATABASE_URL its server refuses) is
 * EX_CONFIG, 78, as for a bad variable; DATABASE_URL's server not answering within
 * DATABASE_CONNECT_TIMEOUT_S is EX_UNAVAILABLE, 69; anything else 1.
 */
export function startFailureExitCode(err: unknown): number {
  if (err instanceof DataDirInUseError || err instanceof DatabaseRefusedError) return 78;
  return err instanceof DatabaseUnavailableError ? 69 : 1;
}

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  /** The app is shutting down: the embedded server's exit from now on is expected. */
  expectStop(): void;
  stop(): Promise<void>;
}

/**
 * An embedded server that dies under a running app (killed, crashed) is not waited for: the app
 * says so in one fatal line and exits non-zero, so that its supervisor restarts it, and with it the
 * server (recovering from its WAL). Serving on, it would answer 503 on /health/ready for ever.
 */
export function exitWithDatabase(reason: string): never {
  exitFatally(`${reason}: pillar-loop stops so that a restart starts it again`, 70); // EX_SOFTWARE
}

/**
 * Ends the process when its instance lock is taken over (its heartbeat stalled) or removed: another
 * process may be starting the database on the same data directory.
 */
function exitOnLostLock(why: string): void {
  exitFatally(why, 1);
}

/** One fatal JSON log line (level 60, as the app's logger writes them), then the exit. */
function exitFatally(msg: string, code: number): never {
  console.error(JSON.stringify({ level: 60, time: Date.now(), msg }));
  process.exit(code);
}

/**
 * DATABASE_URL when set, once its server answers (waited for up to DATABASE_CONNECT_TIMEOUT_S: it
 * may start after the app); otherwise a real embedded PostgreSQL under DATA_DIR/pg, started only
 * while holding DATA_DIR's instance lock (instance-lock.ts): a second process on the same
 * DATA_DIR is refused before it touches the running server.
 */
export async function resolveDatabase(config: AppConfig, log: StartLog): Promise<ResolvedDatabase> {
  if (config.databaseUrl) {
    await waitForDatabase(config.databaseUrl, {
      timeoutMs: config.databaseConnectTimeoutS * 1000,
      warn: (msg) => log(msg, 'warn'),
    });
    return { url: config.databaseUrl, embedded: false, expectStop: () => {}, stop: async () => {} };
  }
  const lock = await acquireInstanceLock(config.dataDir, { log, onLost: exitOnLostLock });
  try {
    const db = await startEmbeddedPostgres(path.join(config.dataDir, 'pg'), config.embeddedPgPort, log, {
      tcp: config.security.embeddedPgTcp,
      home: config.embeddedPgHome,
      onUnexpectedExit: exitWithDatabase,
    });
    return {
      url: db.url,
      embedded: true,
      expectStop: db.expectStop,
      stop: async () => {
        try {
          await db.stop();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}
