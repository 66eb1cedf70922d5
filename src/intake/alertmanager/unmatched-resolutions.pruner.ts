import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../platform/config/config.js';
import { Pruner } from '../../platform/workers/pruner.js';
import { UnmatchedResolutionsRepository } from './unmatched-resolutions.repository.js';

/**
 * Deletes unmatched alert resolutions older than the longest `lateCopySeconds` (600 s), every
 * PRUNE_INTERVAL_MS on the replicas that run the relay. A row past its tenant's window counts for
 * nothing whether or not this got to it; this only keeps the table small.
 */
@Injectable()
export class UnmatchedResolutionsPruner extends Pruner {
  protected readonly logger = new Logger(UnmatchedResolutionsPruner.name);
  protected readonly what = 'old unmatched alert resolutions';

  constructor(
    private readonly resolutions: UnmatchedResolutionsRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(config);
  }

  protected pruneBatch(): Promise<number> {
    return this.resolutions.prune();
  }
}
