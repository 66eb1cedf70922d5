import path from 'node:path';
import type { AppConfig } from '../config/config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

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
  console.error(
    JSON.stringify({
      level: 60,
      time: Date.now(),
      msg: `${reason}: pillar-loop stops so that a restart starts it again`,
    }),
  );
  process.exit(70); // EX_SOFTWARE
}

/** DATABASE_URL when set; otherwise a real embedded PostgreSQL under DATA_DIR/pg. */
export async function resolveDatabase(config: AppConfig, log: (msg: string) => void): Promise<ResolvedDatabase> {
  if (config.databaseUrl)
    return { url: config.databaseUrl, embedded: false, expectStop: () => {}, stop: async () => {} };
  const db = await startEmbeddedPostgres(path.join(config.dataDir, 'pg'), config.embeddedPgPort, log, {
    tcp: config.security.embeddedPgTcp,
    home: config.embeddedPgHome,
    onUnexpectedExit: exitWithDatabase,
  });
  return { url: db.url, embedded: true, expectStop: db.expectStop, stop: db.stop };
}
