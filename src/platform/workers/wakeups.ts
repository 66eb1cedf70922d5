import type { NotifyBatcher } from '../database/notify-batcher.js';
import type { TransactionHost } from '../database/transaction-host.js';

/**
 * Wakes a kind of worker (the run engine, the notification dispatcher) once a change that gives
 * it work commits: this replica's at once, the others by NOTIFY on `channel`. Workers also poll,
 * so a lost wake-up only costs a poll interval. Each kind subclasses it as an injectable.
 */
export class Wakeups {
  /** Set by this replica's worker while it runs. */
  wakeLocal: (() => void) | null = null;

  constructor(
    readonly channel: string,
    private readonly tx: TransactionHost,
    private readonly notifier: NotifyBatcher,
  ) {}

  afterCommit(): void {
    this.tx.afterCommit(() => this.wakeLocal?.());
    this.notifier.notifyAfterCommit(this.channel);
  }
}
