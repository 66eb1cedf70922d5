import path from 'node:path';
import type { AppConfig } from '../config/config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise a real embedded PostgreSQL under DATA_DIR/pg. */
export async function resolveDatabase(config: AppConfig, log: (msg: string) => void): Promise<ResolvedDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => {} };
  const db = await startEmbeddedPostgres(path.join(config.dataDir, 'pg'), config.embeddedPgPort, log, {
    tcp: config.security.embeddedPgTcp,
    home: config.embeddedPgHome,
  });
  return { url: db.url, embedded: true, stop: db.stop };
}
