import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { TransactionHost } from './transaction-host.js';

// PostgreSQL limits a NOTIFY payload to 8000 bytes.
const MAX_PAYLOAD = 7000;
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
export class NotifyBatcher implements OnApplicationShutdown {
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

  /** Payloads of one channel are joined with newlines into as few NOTIFYs as fit. */
  async flush(): Promise<void> {
    this.timer = null;
    const batches: Array<[string, string]> = [];
    for (const [channel, payloads] of this.pending) {
      let current = '';
      for (const payload of payloads) {
        if (current && current.length + payload.length + 1 > MAX_PAYLOAD) {
          batches.push([channel, current]);
          current = '';
        }
        current = current ? `${current}\n${payload}` : payload;
      }
      batches.push([channel, current]);
    }
    this.pending.clear();
    // After shutdown there is nobody left to signal on this replica's pool; the others poll.
    if (batches.length === 0 || !this.tx.isOpen) return;
    const values = batches.map((_, i) => `pg_notify($${i * 2 + 1}, $${i * 2 + 2})`).join(', ');
    // A NOTIFY's transaction writes a commit record; it need not wait for the WAL flush (a
    // signal lost to a database crash costs a poll interval).
    await this.tx.queryOutside(`SELECT set_config('synchronous_commit', 'off', true), ${values}`, batches.flat()).catch((err) => this.logger.warn(`NOTIFY failed: ${String(err)}`));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.flush();
  }
}
