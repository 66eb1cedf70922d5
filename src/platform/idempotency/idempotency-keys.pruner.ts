import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { Pruner } from '../workers/pruner.js';
import { IdempotencyKeysRepository } from './idempotency-keys.repository.js';

/**
 * Deletes `Idempotency-Key` claims older than IDEMPOTENCY_KEY_TTL_HOURS. A key past its TTL is
 * forgotten whether or not this got to it (its next use claims it anew); this only keeps the table
 * to about a TTL's worth of keys.
 */
@Injectable()
export class IdempotencyKeysPruner extends Pruner {
  protected readonly logger = new Logger(IdempotencyKeysPruner.name);
  protected readonly what = 'expired Idempotency-Key claims';

  constructor(
    private readonly keys: IdempotencyKeysRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(config);
  }

  protected pruneBatch(): Promise<number> {
    return this.keys.prune(this.config.idempotencyKeyTtlHours);
  }
}
