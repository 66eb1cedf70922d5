import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyKeys } from '../idempotency/idempotency-keys.js';
import { IdempotencyKeysPruner } from '../idempotency/idempotency-keys.pruner.js';
import { IdempotencyKeysRepository } from '../idempotency/idempotency-keys.repository.js';
import { dataSourceOptions } from './data-source-options.js';
import { DATABASE_URL } from './database.tokens.js';
import { NotifyBatcher } from './notify-batcher.js';
import { PgNotifications } from './pg-notifications.js';
import { TransactionHost } from './transaction-host.js';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(url: string, poolSize: number): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(url, poolSize, true), autoLoadEntities: true })],
      providers: [
        { provide: DATABASE_URL, useValue: url },
        TransactionHost,
        PgNotifications,
        NotifyBatcher,
        IdempotencyKeys,
        IdempotencyKeysRepository,
        IdempotencyKeysPruner,
      ],
      exports: [DATABASE_URL, TransactionHost, PgNotifications, NotifyBatcher, IdempotencyKeys],
    };
  }
}
