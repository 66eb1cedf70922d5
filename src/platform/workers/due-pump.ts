import type { Logger } from '@nestjs/common';
import { AsyncResource } from 'node:async_hooks';
import type { PgNotifications } from '../database/pg-notifications.js';
import type { Wakeups } from './wakeups.js';

/** What a DuePump works through: leased claims of due items, each worked on outside the claim's transaction. */
export interface DueWork<T> {
  /** Claims up to `limit` due items; the claim commits at once. */
  claim(limit: number): Promise<T[]>;
  /** Works on one claimed item; what goes wrong is its own to record (a rejection is only logged). */
  work(item: T): Promise<void>;
  /** Milliseconds until the next item falls due; null when none waits. */
  msUntilNextDue(): Promise<number | null>;
  /** Hands back items claimed while stopping, for another replica. */
  release?(items: T[]): Promise<void>;
  /**
   * How many more items may be claimed now besides the free slots (default: as many as those);
   * a source that says 0 wakes the pump (`wake()`) once it has room again.
   */
  room?(): number;
}

export interface DuePumpOptions {
  /** For log lines: "recovery runs". */
  what: string;
  /** Items in flight on this replica at most. */
  concurrency: number;
  /** The fallback poll. */
  pollMs: number;
  /** False once the database pool is closed. */
  isOpen: () => boolean;
  logger: Logger;
  /**
   * Claim again whenever an item's work ends (default). False for a source that schedules its
   * items' next due times itself (`Wakeups.inAfterCommit`) and wakes the pump when a limit of its
   * own frees: then only a claim that was full is followed up, since more may be due.
   */
  wakeAfterEachItem?: boolean;
  /**
   * After a claim that took nothing, a look-up that says something is due now is taken as an item
   * another transaction holds locked (the claim skips it): looked at again no sooner than this,
   * rather than at once and again until that transaction ends. Default 0.
   */
  lockedDueRetryMs?: number;
}

/**
 * Works through due items with at most `concurrency` in flight: claims as many as there are free
 * slots, claims again as each finishes (or, with `wakeAfterEachItem: false`, only when the last
 * claim was full), and otherwise sleeps until the next one falls due, a wake-up (this replica's,
 * or another's through NOTIFY), or the fallback poll. Claims run one at a time; a wake-up during
 * one makes another follow it.
 */
export class DuePump<T> {
  private readonly inFlight = new Set<Promise<void>>();
  /** Items a transaction is storing leased to this replica, until it commits (adopted) or rolls back. */
  private readonly leasedToCome = new Set<Promise<void>>();
  /** Items adopted after the stop began, on their way back to the queue. */
  private readonly givingBack = new Set<Promise<void>>();
  private wakeups: Wakeups | null = null;
  private poll: NodeJS.Timeout | null = null;
  private sleeper: NodeJS.Timeout | null = null;
  /** When the sleeper fires (epoch ms); Infinity when none is set. */
  private sleepUntil = Infinity;
  private pumping: Promise<void> | null = null;
  /**
   * The pump, in its own async context rather than its waker's: its claims and work must not
   * carry what the waker keeps in AsyncLocalStorage (woken inside a transaction, they would join it).
   */
  private readonly pumpInOwnContext = AsyncResource.bind(() => this.pump());
  private again = false;
  private stopped = true;
  private stopDone: Promise<void> | null = null;
  /** The last claim got as many items as it asked for (or had no room to ask): more may be due. */
  private full = true;

  constructor(
    private readonly o: DuePumpOptions,
    private readonly source: DueWork<T>,
  ) {}

  /** Starts pumping, woken by `wakeups` (locally and through NOTIFY on its channel). */
  start(wakeups: Wakeups, notifications: PgNotifications): void {
    this.stopped = false;
    this.wakeups = wakeups;
    wakeups.wakeLocal = () => this.wake();
    wakeups.wakeLocalAt = (at) => this.wakeAt(at);
    // Its own replica's wake-ups came through wakeLocal already.
    notifications.on(wakeups.channel, (origin) => {
      if (origin !== wakeups.origin) this.wake();
    });
    this.poll = setInterval(() => this.wake(), this.o.pollMs);
    this.poll.unref();
    this.wake();
  }

  /**
   * Stops claiming, once (asked again, the same stop); a claim in progress settles and work in flight
   * finishes (bounded by its own timeouts). What was handed back meanwhile is due at once: then the
   * other replicas' workers are woken for it (NOTIFY), not left to their next poll. A pump never
   * started (an HTTP-only replica's) holds nothing and wakes nobody.
   */
  stop(): Promise<void> {
    return (this.stopDone ??= this.stopOnce());
  }

  private async stopOnce(): Promise<void> {
    this.stopped = true;
    if (this.wakeups) {
      this.wakeups.wakeLocal = null;
      this.wakeups.wakeLocalAt = null;
    }
    if (this.poll) clearInterval(this.poll);
    if (this.sleeper) clearTimeout(this.sleeper);
    this.sleeper = null;
    this.sleepUntil = Infinity;
    await this.pumping;
    // Work in flight, items leased to this replica by a transaction still to commit, and what is
    // handed back: each of these may end in another (a commit after the stop is a give-back).
    while (this.inFlight.size + this.leasedToCome.size + this.givingBack.size > 0)
      await Promise.allSettled([...this.inFlight, ...this.leasedToCome, ...this.givingBack]);
    this.wakeups?.afterCommit();
  }

  get stopping(): boolean {
    return this.stopped;
  }

  /**
   * The source has room again: claims only if the last claim was full or had no room, since
   * otherwise nothing more was due then, and what falls due later wakes the pump by itself (a
   * new item's wake-up, the sleep until the next due time, or a finished item or its source).
   */
  roomFreed(): void {
    if (this.full) this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pumpInOwnContext().finally(() => {
      this.pumping = null;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async pump(): Promise<void> {
    try {
      const free = Math.min(this.o.concurrency - this.inFlight.size, this.source.room?.() ?? Infinity);
      if (free <= 0 || !this.o.isOpen()) {
        this.full = true;
        return;
      }
      const claimed = await this.source.claim(free);
      this.full = claimed.length >= free;
      if (this.stopped) {
        await this.source.release?.(claimed);
        return;
      }
      for (const item of claimed) this.startWork(item);
      if (!this.full) await this.sleepUntilNextDue(claimed.length === 0);
    } catch (err) {
      if (!this.stopped) this.o.logger.warn(`claiming due ${this.o.what} failed: ${String(err)}`);
    }
  }

  /**
   * Running, and its last claim got fewer items than it asked for: nothing else was due then, so
   * an item that jumps the database's queue (`adopt`) passes nobody.
   */
  get caughtUp(): boolean {
    return !this.stopped && !this.full;
  }

  /**
   * For an item this replica will hold without a claim: leased to it by the transaction that is
   * storing it. The function returned takes the item once that transaction commits (it is worked on
   * here, or given back if the pump has stopped meanwhile), or null if it rolled back. A stop waits
   * for it, so an item stored just after the stop began is handed back before the stop ends.
   */
  expectAdoption(): (item: T | null) => void {
    let settle!: () => void;
    const toCome = new Promise<void>((resolve) => (settle = resolve));
    this.leasedToCome.add(toCome);
    return (item) => {
      try {
        if (item !== null) this.adopt(item);
      } finally {
        this.leasedToCome.delete(toCome); // a stop must not wait for ever on a lease that is settled
        settle();
      }
    };
  }

  private adopt(item: T): void {
    if (this.stopped) return this.giveBack(item);
    this.startWorkInOwnContext(item);
  }

  /**
   * Hands back an item adopted after the stop began, due at once, and wakes the other replicas for
   * it. Without `release` (or if it fails) the item's lease lapses, and any replica claims it then.
   */
  private giveBack(item: T): void {
    if (!this.source.release) return;
    const back: Promise<void> = this.source
      .release([item])
      .then(() => this.wakeups?.afterCommit())
      .catch(() => undefined)
      .finally(() => this.givingBack.delete(back));
    this.givingBack.add(back);
  }

  private startWork(item: T): void {
    const work = this.source
      .work(item)
      .catch((err: unknown) =>
        this.o.logger.error(`${this.o.what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
      )
      .finally(() => {
        this.inFlight.delete(work);
        if (this.o.wakeAfterEachItem !== false || this.full) this.wake();
      });
    this.inFlight.add(work);
  }

  private readonly startWorkInOwnContext = AsyncResource.bind((item: T) => this.startWork(item));

  private async sleepUntilNextDue(claimedNone: boolean): Promise<void> {
    const ms = await this.source.msUntilNextDue();
    if (ms === null) return;
    const floor = claimedNone ? (this.o.lockedDueRetryMs ?? 0) : 0;
    this.wakeAt(Date.now() + Math.max(ms, floor) + 1);
  }

  /** Wakes at `at` (epoch ms), or earlier if already due to; at once if it has passed. */
  wakeAt(at: number): void {
    if (this.stopped || at >= this.sleepUntil) return;
    const ms = at - Date.now();
    if (ms <= 0) return this.wake();
    if (ms >= this.o.pollMs) return; // the poll comes first
    if (this.sleeper) clearTimeout(this.sleeper);
    this.sleepUntil = at;
    this.sleeper = setTimeout(() => {
      this.sleeper = null;
      this.sleepUntil = Infinity;
      this.wake();
    }, ms);
    this.sleeper.unref();
  }
}
