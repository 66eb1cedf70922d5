import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../../migrations/index.js';

export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    extra: { max: poolSize, application_name: 'pillar-loop' },
  };
}
