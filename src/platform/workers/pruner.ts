import type { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';

/** When a pruner's rounds run (PRUNE_FIRST_DELAY_MS, PRUNE_INTERVAL_MS). */
export interface PruneSchedule {
  /** The first round, this long after start-up: a replica restarted more often than the interval still prunes. */
  firstDelayMs: number;
  /** Then a round this often. */
  intervalMs: number;
}

/**
 * Deletes old rows of one kind in rounds: the first PRUNE_FIRST_DELAY_MS after start-up, then one
 * every PRUNE_INTERVAL_MS. A round deletes in batches, each its own short statement, until one
 * finds nothing left. At shutdown a round stops between two batches and the app waits for it
 * (beforeApplicationShutdown runs before any pool is closed), so no batch goes to a closed pool.
 * A round asked for while one runs (the timer, or a caller) is that round.
 */
export abstract class Pruner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<number> | null = null;
  private shuttingDown = false;

  protected abstract readonly logger: Logger;
  /** What a round deletes, for its log lines: "processed outbox deliveries". */
  protected abstract readonly what: string;

  constructor(protected readonly config: AppConfig) {}

  /** This replica's rounds: those of the replicas that run the relay; null: it does not prune. */
  private schedule(): PruneSchedule | null {
    return this.config.outbox.relayEnabled ? this.config.prune : null;
  }

  /** Deletes one batch; how many rows it deleted (0: nothing left). */
  protected abstract pruneBatch(): Promise<number>;

  onApplicationBootstrap(): void {
    const schedule = this.schedule();
    if (!schedule) return;
    const tick = () => void this.pruneAll();
    this.timer = setTimeout(() => {
      this.timer = setInterval(tick, schedule.intervalMs).unref();
      tick();
    }, schedule.firstDelayMs).unref();
  }

  /** True once the app shuts down: no round starts, and the one running stops after its batch. */
  get stopping(): boolean {
    return this.shuttingDown;
  }

  /** A round (the one running, if one is); how many rows it deleted. Never throws. */
  pruneAll(): Promise<number> {
    if (this.shuttingDown) return Promise.resolve(0);
    return (this.round ??= this.runRound().finally(() => (this.round = null)));
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    if (this.timer) clearTimeout(this.timer); // clears an interval as well
    await this.round;
  }

  private async runRound(): Promise<number> {
    let total = 0;
    try {
      while (!this.shuttingDown) {
        const deleted = await this.pruneBatch();
        total += deleted;
        if (deleted === 0) break;
      }
      if (total > 0) this.logger.log(`pruned ${total} ${this.what}`);
    } catch (err) {
      this.logger.error(`pruning ${this.what} failed: ${String(err)}`);
    }
    return total;
  }
}
