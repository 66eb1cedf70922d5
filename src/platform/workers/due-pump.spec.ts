import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PgNotifications } from '../database/pg-notifications.js';
import { DuePump, type DueWork } from './due-pump.js';
import type { Wakeups } from './wakeups.js';

const POLL_MS = 10_000;

/** A source whose due items the test puts in by hand; it counts the claims and look-ups the pump makes. */
class Items implements DueWork<string> {
  due: string[] = [];
  claims = 0;
  lookups = 0;
  readonly finish = new Map<string, () => void>();
  release?: (items: string[]) => Promise<void>;

  claim(limit: number): Promise<string[]> {
    this.claims++;
    return Promise.resolve(this.due.splice(0, limit));
  }

  work(item: string): Promise<void> {
    return new Promise((done) => this.finish.set(item, done));
  }

  /** What the look-up answers: null (nothing waits) unless a test says otherwise. */
  nextDueMs: number | null = null;

  msUntilNextDue(): Promise<number | null> {
    this.lookups++;
    return Promise.resolve(this.nextDueMs);
  }
}

function startPump(
  items: Items,
  options: { concurrency?: number; wakeAfterEachItem?: boolean; lockedDueRetryMs?: number } = {},
) {
  const pump = new DuePump(
    {
      what: 'items',
      concurrency: options.concurrency ?? 4,
      pollMs: POLL_MS,
      isOpen: () => true,
      logger: { error: () => undefined, warn: () => undefined } as unknown as Logger,
      wakeAfterEachItem: options.wakeAfterEachItem,
      lockedDueRetryMs: options.lockedDueRetryMs,
    },
    items,
  );
  const wakeups = {
    channel: 'items',
    origin: 'this-replica',
    wakeLocal: null,
    wakeLocalAt: null,
    othersWoken: 0,
    afterCommit: () => wakeups.othersWoken++,
  } as unknown as Wakeups & { othersWoken: number };
  const listeners: Array<(payload: string) => void> = [];
  const notifications = { on: (_: string, listener: (payload: string) => void) => listeners.push(listener) };
  pump.start(wakeups, notifications as unknown as PgNotifications);
  const notify = (payload: string) => listeners.forEach((listener) => listener(payload));
  return { pump, wakeups, notify };
}

describe('DuePump', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('claims again when an item is done, unless told its source schedules its items itself', async () => {
    for (const wakeAfterEachItem of [undefined, false]) {
      const items = new Items();
      items.due = ['a'];
      const { pump } = startPump(items, { wakeAfterEachItem });
      await jest.advanceTimersByTimeAsync(0);
      expect(items.claims).toBe(1); // at start: 'a', fewer than the 4 free slots
      items.finish.get('a')!();
      await jest.advanceTimersByTimeAsync(0);
      expect(items.claims).toBe(wakeAfterEachItem === false ? 1 : 2);
      await pump.stop();
    }
  });

  it('an item due but not claimed (held by another transaction) is looked at again after lockedDueRetryMs, not at once', async () => {
    for (const lockedDueRetryMs of [undefined, 50]) {
      const items = new Items();
      items.nextDueMs = 0; // due now, yet every claim comes back empty
      const { pump } = startPump(items, { lockedDueRetryMs });
      await jest.advanceTimersByTimeAsync(100);
      // Without the option the pump claims again every millisecond or so: a hundred claims in 100 ms.
      if (lockedDueRetryMs === undefined) expect(items.claims).toBeGreaterThan(20);
      else expect(items.claims).toBeLessThanOrEqual(3);
      await pump.stop();
    }
  });

  it('stops once, however often asked, and then wakes the other replicas for what it handed back', async () => {
    const items = new Items();
    items.due = ['a'];
    const { pump, wakeups } = startPump(items);
    await jest.advanceTimersByTimeAsync(0);
    const first = pump.stop();
    expect(pump.stop()).toBe(first);
    await jest.advanceTimersByTimeAsync(0);
    expect(wakeups.othersWoken).toBe(0); // 'a' is still being worked on
    items.finish.get('a')!();
    await first;
    expect(wakeups.othersWoken).toBe(1);
  });

  it('waits for an item a transaction is leasing to it, gives it back if that commits after the stop began, and only then wakes the other replicas', async () => {
    const released: string[] = [];
    let giveBack: () => void = () => undefined;
    const items = new Items();
    items.release = (back: string[]) =>
      new Promise<void>((done) => {
        giveBack = () => {
          released.push(...back);
          done();
        };
      });
    items.due = ['a'];
    const { pump, wakeups } = startPump(items);
    await jest.advanceTimersByTimeAsync(0);
    const leased = pump.expectAdoption(); // a transaction storing 'late' took its lease
    const rolledBack = pump.expectAdoption(); // and another one's will roll back
    let stopped = false;
    const stop = pump.stop().then(() => (stopped = true));
    items.finish.get('a')!();
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false); // the two transactions have not ended
    rolledBack(null);
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    leased('late'); // committed after the stop began
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false); // the give-back is under way
    expect(wakeups.othersWoken).toBe(0);
    giveBack();
    await stop;
    expect(released).toEqual(['late']);
    expect(items.finish.has('late')).toBe(false); // never worked on here
    expect(wakeups.othersWoken).toBeGreaterThanOrEqual(1);
  });

  it("claims and works in its own async context, not in its waker's", async () => {
    const waker = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    const items = new Items();
    const { pump } = startPump(items);
    await jest.advanceTimersByTimeAsync(0); // the claim at start: nothing due
    const claim = items.claim.bind(items);
    const work = items.work.bind(items);
    items.claim = (limit) => (seen.push(waker.getStore()), claim(limit));
    items.work = (item) => (seen.push(waker.getStore()), work(item));
    items.due = ['a'];
    waker.run('a commit of the waker', () => pump.wake());
    await jest.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([undefined, undefined]); // the claim, and the work on 'a'
    items.finish.get('a')!();
    await pump.stop();
  });

  it('is caught up only once a claim came back with fewer items than it asked for: a full one may have left more due', async () => {
    const items = new Items();
    items.due = ['a', 'b', 'c', 'd', 'e'];
    const { pump } = startPump(items, { concurrency: 4 });
    expect(pump.caughtUp).toBe(false); // not claimed yet
    await jest.advanceTimersByTimeAsync(0);
    expect(items.claims).toBe(1); // 'a'-'d', as many as it asked for
    expect(pump.caughtUp).toBe(false);
    items.finish.get('a')!();
    items.finish.get('b')!();
    await jest.advanceTimersByTimeAsync(0);
    expect(items.due).toEqual([]); // 'e' claimed, and a claim since found nothing more
    expect(pump.caughtUp).toBe(true);
    for (const item of ['c', 'd', 'e']) items.finish.get(item)!();
    await pump.stop();
    expect(pump.caughtUp).toBe(false);
  });

  it("claims on another replica's NOTIFY, not on its own (its own worker was woken at once)", async () => {
    const items = new Items();
    const { pump, notify } = startPump(items);
    await jest.advanceTimersByTimeAsync(0);
    expect(items.claims).toBe(1);
    notify('this-replica');
    await jest.advanceTimersByTimeAsync(0);
    expect(items.claims).toBe(1);
    notify('another-replica');
    await jest.advanceTimersByTimeAsync(0);
    expect(items.claims).toBe(2);
    notify(''); // an older replica's wake-up, without its origin
    await jest.advanceTimersByTimeAsync(0);
    expect(items.claims).toBe(3);
    await pump.stop();
  });

  it('a claim that filled every slot is followed up when an item is done, whatever the source', async () => {
    const items = new Items();
    items.due = ['a', 'b', 'c'];
    const { pump } = startPump(items, { concurrency: 2, wakeAfterEachItem: false });
    await jest.advanceTimersByTimeAsync(0);
    expect(items.claims).toBe(1);
    items.finish.get('a')!();
    await jest.advanceTimersByTimeAsync(0);
    expect(items.claims).toBe(2); // 'c', in the freed slot
    items.finish.get('b')!();
    items.finish.get('c')!();
    await pump.stop();
  });

  it('wakes at a time it was told, keeps the earliest, and leaves times past the poll to the poll', async () => {
    const items = new Items();
    const { pump, wakeups } = startPump(items, { wakeAfterEachItem: false });
    const started = Date.now();
    await jest.advanceTimersByTimeAsync(0);
    expect(items.claims).toBe(1);

    wakeups.wakeLocalAt!(Date.now() + 300);
    wakeups.wakeLocalAt!(Date.now() + 500); // later: the 300 ms wake stays
    await jest.advanceTimersByTimeAsync(299);
    expect(items.claims).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(items.claims).toBe(2);
    await jest.advanceTimersByTimeAsync(1_000);
    // Only the earliest time is kept: after its claim the pump looks the next one up (here: none).
    expect(items.claims).toBe(2);

    wakeups.wakeLocalAt!(Date.now() + 500);
    wakeups.wakeLocalAt!(Date.now() + 100); // earlier: moves the wake
    await jest.advanceTimersByTimeAsync(100);
    expect(items.claims).toBe(3);

    wakeups.wakeLocalAt!(Date.now() + POLL_MS + 5_000);
    const untilPoll = started + POLL_MS - Date.now();
    await jest.advanceTimersByTimeAsync(untilPoll - 1);
    expect(items.claims).toBe(3);
    await jest.advanceTimersByTimeAsync(1);
    expect(items.claims).toBe(4); // the poll's claim; no timer of its own for that time
    await jest.advanceTimersByTimeAsync(POLL_MS - 1);
    expect(items.claims).toBe(4);

    wakeups.wakeLocalAt!(Date.now() - 1); // already due: at once
    await jest.advanceTimersByTimeAsync(0);
    expect(items.claims).toBe(5);
    await pump.stop();
  });
});
