import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { RunsRepository } from '../runs.repository.js';

const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Deletes the transitions (the step-by-step history) of runs that finished more than
 * `RUN_HISTORY_RETENTION_DAYS` ago: a run writes a dozen or more and nothing reads them once the
 * run is old. The run and its steps (final state, output, error), the incident's timeline and the
 * audit log keep what happened.
 */
@Injectable()
export class RunHistoryPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RunHistoryPruner.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly runs: RunsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.outbox.relayEnabled) return; // the replicas that run the engine prune
    this.timer = setInterval(() => void this.pruneAll(), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  async pruneAll(): Promise<number> {
    let total = 0;
    try {
      // In batches, each its own short statement, until one finds nothing left to delete.
      let deleted: number;
      do {
        deleted = await this.runs.pruneTransitions(this.config.runs.historyRetentionDays);
        total += deleted;
      } while (deleted > 0);
      if (total > 0) this.logger.log(`pruned ${total} transitions of finished recovery runs`);
    } catch (err) {
      this.logger.error(`pruning recovery run transitions failed: ${String(err)}`);
    }
    return total;
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
