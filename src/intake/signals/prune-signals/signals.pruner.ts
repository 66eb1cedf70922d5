import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { Pruner } from '../../../platform/workers/pruner.js';
import { DEFAULT_SETTINGS } from '../../settings/intake-settings.js';
import { SignalsRepository } from '../signals.repository.js';

/** Rows one statement deletes. */
const BATCH = 5000;

/**
 * Deletes metric samples and symptoms older than their tenant's `retentionDays`, every
 * PRUNE_INTERVAL_MS on the replicas that run the relay. A tenant's own POST /signals/metrics
 * prunes too, but one that stops sending, or shortens its retention, would otherwise keep them
 * for good (and list symptoms its settings say are gone).
 */
@Injectable()
export class SignalsPruner extends Pruner {
  protected readonly logger = new Logger(SignalsPruner.name);
  protected readonly what = 'metric samples and symptoms past their retention';

  constructor(
    private readonly signals: SignalsRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(config);
  }

  protected async pruneBatch(): Promise<number> {
    const days = DEFAULT_SETTINGS.retentionDays;
    return (
      (await this.signals.prunePastRetention('signal_samples', days, BATCH)) +
      (await this.signals.prunePastRetention('signal_symptoms', days, BATCH))
    );
  }
}
