import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { TransactionHost } from './transaction-host.js';

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more (bytes, not characters: one CJK character is 3). */
const MAX_NOTIFY_BYTES = 7999;
// Long enough to fold a burst of commits into one NOTIFY, short enough not to be noticed.
const FLUSH_AFTER_MS = 5;

/**
 * Sends NOTIFYs after commit, folded together, in small transactions of their own.
 *
 * A transaction that NOTIFYs takes a database-wide lock while it commits, so every committing
 * transaction with a NOTIFY waits for the previous one's WAL flush: at a few hundred commits a
 * second this serialised the whole loop. Signalling after commit keeps the hot transactions free
 * of that lock; the price is that a crash between commit and signal loses the signal, which only
 * costs a poll interval (the outbox) or one SSE update (a client re-reads on reconnect).
 */
@Injectable()
export class NotifyBatcher implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(NotifyBatcher.name);
  private readonly pending = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly tx: TransactionHost) {}

  /** Queues `payload` on `channel` for after the current transaction commits. Equal payloads are sent once. */
  notifyAfterCommit(channel: string, payload = ''): void {
    this.tx.afterCommit(() => {
      let set = this.pending.get(channel);
      if (!set) this.pending.set(channel, (set = new Set()));
      set.add(payload);
      this.timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
    });
  }

  /**
   * Payloads of one channel are joined with newlines into as few NOTIFYs as fit, measured in
   * bytes. A payload too big for any NOTIFY is dropped, with a warning, and the rest are sent.
   */
  async flush(): Promise<void> {
    this.timer = null;
    const batches: Array<[string, string]> = [];
    for (const [channel, payloads] of this.pending) {
      let parts: string[] = [];
      let bytes = -1; // the first part needs no newline before it
      for (const payload of payloads) {
        const size = Buffer.byteLength(payload);
        if (size > MAX_NOTIFY_BYTES) {
          this.logger.warn(
            `NOTIFY on ${channel} dropped: its payload is ${size} bytes, PostgreSQL takes at most ${MAX_NOTIFY_BYTES}`,
          );
          continue;
        }
        if (parts.length > 0 && bytes + 1 + size > MAX_NOTIFY_BYTES) {
          batches.push([channel, parts.join('\n')]);
          parts = [];
          bytes = -1;
        }
        parts.push(payload);
        bytes += 1 + size;
      }
      if (parts.length > 0) batches.push([channel, parts.join('\n')]);
    }
    this.pending.clear();
    // After shutdown there is nobody left to signal on this replica's pool; the others poll.
    if (batches.length === 0 || !this.tx.isOpen) return;
    if (await this.send(batches)) return;
    // One NOTIFY the server refused must not take the others with it: each on its own.
    if (batches.length > 1) for (const batch of batches) await this.send([batch]);
  }

  /** One statement for all of them; false (logged) when the server refused it. */
  private async send(batches: Array<[string, string]>): Promise<boolean> {
    const values = batches.map((_, i) => `pg_notify($${i * 2 + 1}, $${i * 2 + 2})`).join(', ');
    // A NOTIFY's transaction writes a commit record; it need not wait for the WAL flush (a
    // signal lost to a database crash costs a poll interval).
    return this.tx.queryOutside(`SELECT set_config('synchronous_commit', 'off', true), ${values}`, batches.flat()).then(
      () => true,
      (err) => {
        this.logger.warn(`NOTIFY failed: ${String(err)}`);
        return false;
      },
    );
  }

  /**
   * Sends what the stop's own hooks queued (runs and notifications handed back, the outbox drain's
   * commits) while the pool is still open: Nest runs the pillars' hooks before a global module's,
   * and the pool closes only in onApplicationShutdown.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flushNow();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flushNow();
  }

  private async flushNow(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.flush();
  }
}
