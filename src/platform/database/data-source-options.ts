import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../../migrations/index.js';

/**
 * `pipeline`: the app's connections send a statement without waiting for the previous one's
 * answer, so the concurrent handlers of one outbox batch share one round trip's wait instead of
 * queueing (see OutboxHandlerOptions.serializeBy). Sequential use is unchanged.
 */
export function dataSourceOptions(url: string, poolSize = 10, pipeline = false): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    extra: { max: poolSize, application_name: 'pillar-loop', pipeline },
  };
}
