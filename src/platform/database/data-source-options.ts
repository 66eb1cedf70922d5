import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../../migrations/index.js';

const UTC_SESSION = '-c TimeZone=UTC';

/**
 * How the app connects to `url`: every connection it opens starts its session in UTC (libpq
 * `options`, sent when it connects, so it holds for the whole session). PostgreSQL reads a time
 * given without an offset (`since=2026-12-01T10:00:00`) in the session's TimeZone, which would
 * otherwise be whatever the server or the database sets; UTC makes it what a bare date already
 * is in JavaScript. Options the installation gives (an `options` parameter in the URL, else
 * PGOPTIONS) are kept, before it: node-postgres would otherwise take only one of them.
 */
export function sessionConnection(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
): { connectionString: string; options: string } {
  let connectionString = url;
  let given = env.PGOPTIONS;
  const parsed = URL.canParse(url) ? new URL(url) : null;
  const inUrl = parsed?.searchParams.get('options');
  if (parsed && typeof inUrl === 'string') {
    given = inUrl;
    parsed.searchParams.delete('options');
    connectionString = parsed.toString();
  }
  return { connectionString, options: [given, UTC_SESSION].filter(Boolean).join(' ') };
}

/**
 * `pipeline`: the app's connections send a statement without waiting for the previous one's
 * answer, so the concurrent handlers of one outbox batch share one round trip's wait instead of
 * queueing (see OutboxHandlerOptions.serializeBy). Sequential use is unchanged.
 */
export function dataSourceOptions(url: string, poolSize = 10, pipeline = false): DataSourceOptions {
  const { connectionString, options } = sessionConnection(url);
  return {
    type: 'postgres',
    url: connectionString,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    // The reserve pool (TransactionHost) is built from this pool's options, `options` with them.
    extra: { max: poolSize, application_name: 'pillar-loop', pipeline, options },
  };
}
