import { randomUUID } from 'node:crypto';
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
  /** The same, at a time (epoch ms) rather than at once. */
  wakeLocalAt: ((at: number) => void) | null = null;
  /** The NOTIFY payload of this replica's wake-ups: its own worker, already woken, skips them. */
  readonly origin = randomUUID();

  constructor(
    readonly channel: string,
    private readonly tx: TransactionHost,
    private readonly notifier: NotifyBatcher,
  ) {}

  afterCommit(): void {
    this.tx.afterCommit(() => this.wakeLocal?.());
    this.notifier.notifyAfterCommit(this.channel, this.origin);
  }

  /**
   * Wakes this replica's worker `ms` from now (by this process's clock: a time read from the
   * database may run on another), once the change commits: the worker that scheduled an item's
   * next turn knows when it falls due, without asking the database. Other replicas are not told;
   * they find the item by their own look-ups or polls.
   */
  inAfterCommit(ms: number): void {
    const at = Date.now() + ms;
    this.tx.afterCommit(() => this.wakeLocalAt?.(at));
  }
}
