import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { Pruner } from '../../../platform/workers/pruner.js';
import { RunsRepository } from '../runs.repository.js';

/**
 * Deletes the transitions (the step-by-step history) of runs that finished more than
 * `RUN_HISTORY_RETENTION_DAYS` ago: a run writes a dozen or more and nothing reads them once the
 * run is old. The run and its steps (final state, output, error), the incident's timeline and the
 * audit log keep what happened.
 */
@Injectable()
export class RunHistoryPruner extends Pruner {
  protected readonly logger = new Logger(RunHistoryPruner.name);
  protected readonly what = 'transitions of finished recovery runs';

  constructor(
    private readonly runs: RunsRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(config);
  }

  protected pruneBatch(): Promise<number> {
    return this.runs.pruneTransitions(this.config.runs.historyRetentionDays);
  }
}
