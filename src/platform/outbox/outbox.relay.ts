import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { APP_CONFIG, type AppConfig, type FlagName } from '../config/config.js';
import { PgNotifications } from '../database/pg-notifications.js';
import { TransactionHost } from '../database/transaction-host.js';
import { FlagsService } from '../flags/flags.service.js';
import { backoffDelayMs } from './backoff.js';
import { runInDelivery } from './delivery-context.js';
import type { DomainEvent } from './domain-event.js';
import { HandlerRegistry, type RegisteredHandler } from './handler-registry.js';
import { OutboxPublisher } from './outbox.publisher.js';
import { OUTBOX_CHANNEL, OutboxRepository, type DeliveryRow } from './outbox.repository.js';

export type DeliveryOutcome =
  | { kind: 'handled'; delivery: DeliveryRow; handler: RegisteredHandler }
  | { kind: 'held'; delivery: DeliveryRow; handler: RegisteredHandler }
  | { kind: 'retrying'; delivery: DeliveryRow; handler: RegisteredHandler; error: string; retryInMs: number }
  | { kind: 'dead'; delivery: DeliveryRow; handler: RegisteredHandler; error: string };

/**
 * Told of the outcomes the relay records: 'retrying', 'dead' and 'held' inside the transaction
 * that records them, 'handled' after its commit. That transaction may roll back and the batch
 * run again, telling again: what must happen once waits for the commit (`TransactionHost.afterCommit`).
 */
export type OutcomeListener = (outcome: DeliveryOutcome) => Promise<void> | void;

/** A batch's done-mark found a delivery another worker has handled since: it rolls back and is handled again without it. */
class NotAllMine extends Error {}

/** How far a lane that is behind grows its batches: up to this many times OUTBOX_BATCH_SIZE. */
const MAX_BATCH_GROWTH = 8;

/** One stream of batches for one handler; a handler has OUTBOX_CONCURRENCY of them. */
interface Lane {
  handler: RegisteredHandler;
  /**
   * Deliveries its next claim asks for: OUTBOX_BATCH_SIZE, doubled after every full batch (the
   * lane is behind) up to MAX_BATCH_GROWTH times that, and back once a claim finds fewer. A
   * batch's claim, done-mark and commit cost about the same whatever its size, so a lane that is
   * behind catches up by taking more at a time instead of falling further behind.
   */
  claimSize: number;
  /** Set when something may have become due for this handler since its last claim. */
  dirty: boolean;
  busy: boolean;
}

/**
 * Claims due outbox deliveries, a batch of one handler's at a time, and handles each batch in
 * one transaction: a commit costs a WAL flush, and one flush per batch instead of one per
 * delivery is what lets the loop keep up under load. When anything in a batch fails, the batch
 * rolls back and its deliveries are handled one by one, so one bad delivery retries (and
 * dead-letters) alone. Wakes on NOTIFY from any commit that adds deliveries; polls only as a fallback.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly inflight = new Set<Promise<void>>();
  /**
   * Starts a lane's pump in the relay's own async context, not in its waker's (a commit's
   * after-commit hook, a timer): the pump goes on to batches that have nothing to do with the
   * waker, and must not carry what the waker keeps in AsyncLocalStorage. Woken from inside a
   * transaction, its batches would join that transaction.
   */
  private readonly startPump = AsyncResource.bind((lane: Lane) => this.track(this.pump(lane)));
  private readonly listeners: OutcomeListener[] = [];
  private lanes = new Map<string, Lane[]>();
  /** Deliveries leased to this relay when they were stored, by handler, in the order handed over (ADR 0004). */
  private readonly handedOff = new Map<string, DeliveryRow[]>();
  private running = false;
  /** Its NOTIFY and flag listeners are registered once, however often it is started. */
  private listening = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private heldSweepTimer: NodeJS.Timeout | null = null;
  private retryTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly store: OutboxRepository,
    private readonly registry: HandlerRegistry,
    private readonly tx: TransactionHost,
    private readonly flags: FlagsService,
    private readonly notifications: PgNotifications,
    private readonly publisher: OutboxPublisher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onOutcome(listener: OutcomeListener): void {
    this.listeners.push(listener);
  }

  onApplicationBootstrap(): void {
    if (this.config.outbox.relayEnabled) this.start();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const handler of this.registry.handlers()) {
      const lanes = Array.from({ length: this.config.outbox.concurrency }, () => ({
        handler,
        claimSize: this.config.outbox.batchSize,
        dirty: false,
        busy: false,
      }));
      this.lanes.set(handler.name, lanes);
    }
    if (!this.listening) {
      this.listening = true;
      // A payload names the handler that has new deliveries and the replica that added them; an
      // empty one means "look at everything".
      this.notifications.on(OUTBOX_CHANNEL, (payload) => {
        const [handler, origin] = payload.split(' ');
        if (origin !== this.publisher.origin) this.wake(handler || undefined);
      });
      this.flags.onChange(() => void this.releaseHeld());
    }
    this.publisher.local = {
      workerId: this.workerId,
      leaseMs: this.config.outbox.leaseMs,
      accepts: (handler, count) => this.accepts(handler, count),
      handOff: (deliveries) => this.handOff(deliveries),
      wake: (handler) => this.wake(handler),
    };
    const poll = () => {
      this.wake();
      this.pollTimer = setTimeout(poll, this.config.outbox.pollIntervalMs);
    };
    poll();
    // A flag's NOTIFY is not the only way it comes on: its env default at a restart, a replica with
    // other defaults, a change whose NOTIFY was missed or whose release failed. So the relay also
    // releases at start, and every OUTBOX_HELD_SWEEP_MS, what is held though its flag is on now.
    const sweep = () => {
      this.track(this.releaseHeld());
      this.heldSweepTimer = setTimeout(sweep, this.config.outbox.heldSweepMs);
    };
    sweep();
  }

  /**
   * Stops claiming, then waits (up to SHUTDOWN_TIMEOUT_MS) for batches already running, and gives
   * back the deliveries handed to it that it did not start on, so another replica need not wait
   * for their lease to lapse.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.publisher.local = null;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.heldSweepTimer) clearTimeout(this.heldSweepTimer);
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    const drained = Promise.allSettled([...this.inflight]);
    const timeout = new Promise((resolve) => setTimeout(resolve, this.config.shutdownTimeoutMs).unref());
    await Promise.race([drained, timeout]);
    const left = [...this.handedOff.values()].flat();
    this.handedOff.clear();
    await this.giveBack(left);
  }

  private async giveBack(deliveries: DeliveryRow[]): Promise<void> {
    if (deliveries.length === 0 || !this.tx.isOpen) return;
    const ids = deliveries.map((d) => d.id);
    await this.store
      .release(ids, this.workerId)
      .catch((err) => this.logger.warn(`giving back deliveries failed (due once their lease lapses): ${String(err)}`));
  }

  /**
   * It takes a commit's deliveries of a handler without a claim while it holds at most one batch
   * of that handler: a lane that is behind claims what is left in the database instead (in
   * growing batches, in storage order, shared with the other replicas).
   */
  private accepts(handler: string, count: number): boolean {
    const held = this.handedOff.get(handler)?.length ?? 0;
    return this.running && this.lanes.has(handler) && held + count <= this.config.outbox.batchSize;
  }

  private handOff(deliveries: DeliveryRow[]): void {
    if (!this.running) {
      // Stopped since the commit: given back, not left until the lease lapses (as it is if this fails).
      void this.giveBack(deliveries);
      return;
    }
    for (const delivery of deliveries) {
      const queue = this.handedOff.get(delivery.handler);
      if (queue) queue.push(delivery);
      else this.handedOff.set(delivery.handler, [delivery]);
    }
    for (const handler of new Set(deliveries.map((d) => d.handler)))
      for (const lane of this.lanes.get(handler) ?? []) if (!lane.busy) this.startPump(lane);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Wakes the lanes of one handler, or of every handler. */
  wake(handler?: string): void {
    const lanes = handler === undefined ? [...this.lanes.values()].flat() : (this.lanes.get(handler) ?? []);
    for (const lane of lanes) {
      lane.dirty = true;
      if (!lane.busy) this.startPump(lane);
    }
  }

  private async pump(lane: Lane): Promise<void> {
    if (!this.running) return;
    lane.busy = true;
    try {
      const { batchSize, leaseMs } = this.config.outbox;
      while (this.running) {
        // What was handed over (leased already), and when something else may be due, a claim for the rest of the batch.
        let batch = this.handedOff.get(lane.handler.name)?.splice(0, lane.claimSize) ?? [];
        let claimFailed = false;
        if (lane.dirty && batch.length < lane.claimSize) {
          lane.dirty = false;
          const wanted = lane.claimSize - batch.length;
          // A claim that fails (the database away) leaves the lane to what was handed over; the next wake-up claims again.
          const claimed = await this.store
            .claim(this.workerId, lane.handler.name, wanted, leaseMs)
            .catch((err: unknown): DeliveryRow[] => {
              this.logger.error(`claiming outbox events failed: ${String(err)}`);
              claimFailed = true;
              return [];
            });
          // A full claim means more may be waiting; so does one claimed before (a lapsed lease is claimed alone).
          const full = claimed.length === wanted;
          if (full || claimed.some((d) => d.attempts > 1)) lane.dirty = true;
          lane.claimSize = full ? Math.min(lane.claimSize * 2, batchSize * MAX_BATCH_GROWTH) : batchSize;
          // One handed over whose lease lapsed while it waited here comes back in the claim: kept once, as claimed.
          const reclaimed = new Set(claimed.map((d) => d.id));
          batch = [...batch.filter((d) => !reclaimed.has(d.id)), ...claimed];
        }
        if (batch.length === 0) {
          // Something handed over while it claimed nothing, or a wake-up meanwhile (its commit may have
          // come after the claim looked): go on; else nothing is left. Not after a failed claim, which
          // would only fail again at once.
          if (this.handedOff.get(lane.handler.name)?.length || (lane.dirty && !claimFailed)) continue;
          break;
        }
        // In the order they were stored (RETURNING does not keep it): one incident's events in causal order.
        batch.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
        // A batch that failed is not grown from: its deliveries were just retried one by one.
        if (!(await this.process(lane.handler, batch))) lane.claimSize = batchSize;
      }
    } catch (err) {
      this.logger.error(`the outbox lane of ${lane.handler.name} failed: ${String(err)}`);
    } finally {
      lane.busy = false;
    }
  }

  private track(work: Promise<void>): void {
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
  }

  /**
   * Handles a batch in one transaction; false when that failed (and each delivery was then handled
   * alone), or when it was handled one at a time from the start (see below).
   */
  private async process(
    handler: RegisteredHandler,
    deliveries: DeliveryRow[],
    claimedAlone = deliveries.length === 1,
  ): Promise<boolean> {
    // A delivery claimed before and not finished (a retry, or a lease that lapsed: maybe it stopped
    // the process) goes alone, so the others of its batch commit without waiting on it.
    if (deliveries.length > 1 && deliveries.some((d) => d.attempts > 1)) {
      for (const delivery of deliveries) await this.process(handler, [delivery], false);
      return false;
    }
    // Attempts are counted at claim: past the last one, a delivery claimed alone (as the oldest
    // with a lapsed lease is) ended every attempt without a word (the process stopped, or the lease
    // lapsed), and its handler is not run again. One claimed in a batch may only have been beside
    // such a delivery each time: it runs (and a failure then dead-letters it).
    const { maxAttempts } = this.config.outbox;
    if (claimedAlone && deliveries[0].attempts > maxAttempts) {
      const error = `did not finish in ${maxAttempts} attempts: the process stopped or its lease lapsed each time`;
      await this.recordFailure(deliveries[0], handler, new Error(error)).catch((failure) =>
        this.logger.error(`dead-lettering delivery ${deliveries[0].id} failed: ${String(failure)}`),
      );
      return false;
    }
    let handled: DeliveryRow[];
    try {
      handled = await this.tx
        .run(() => this.handleInTransaction(handler, deliveries, true))
        .catch((err: unknown) =>
          // Some were handled elsewhere meanwhile: again, handling only those still this worker's.
          err instanceof NotAllMine
            ? this.tx.run(() => this.handleInTransaction(handler, deliveries, false))
            : Promise.reject(err),
        );
    } catch (err) {
      if (deliveries.length === 1) {
        await this.recordFailure(deliveries[0], handler, err).catch((failure) =>
          // The lease then expires and the delivery is tried again: nothing is lost.
          this.logger.error(`recording the failure of delivery ${deliveries[0].id} failed: ${String(failure)}`),
        );
        return false;
      }
      // Nothing of the batch committed; find the culprit by handling each on its own.
      for (const delivery of deliveries) await this.process(handler, [delivery]);
      return false;
    }
    for (const delivery of handled) await this.tell({ kind: 'handled', delivery, handler }).catch(() => undefined);
    return true;
  }

  /**
   * Holds what its flag switches off, handles the rest; returns the deliveries handled.
   * `optimistic`: the handlers start as the done-mark leaves, so their first statements go out with
   * it (one round trip less per batch; on the server they run after it, under its row locks), and
   * the batch rolls back (NotAllMine) if the mark finds one that is no longer this worker's.
   */
  private async handleInTransaction(
    handler: RegisteredHandler,
    deliveries: DeliveryRow[],
    optimistic: boolean,
  ): Promise<DeliveryRow[]> {
    const held: DeliveryRow[] = [];
    const toHandle: DeliveryRow[] = [];
    for (const delivery of deliveries) {
      const off = handler.flag && !(await this.flags.isBridgeEnabled(delivery.tenant_id, handler.flag));
      (off ? held : toHandle).push(delivery);
    }
    if (held.length > 0) {
      const marked = await this.store.markHeld(held.map((d) => d.id));
      for (const delivery of held) if (marked.has(delivery.id)) await this.tell({ kind: 'held', delivery, handler });
      // A flag turned back on before this commits releases only the holds already committed: look again once it has.
      if (marked.size > 0) this.tx.afterCommit(() => void this.releaseIfOnAgain(handler.flag!, held));
    }
    if (toHandle.length === 0) return [];
    // "done", the handler's effects and its events commit together or not at all.
    const marked = this.store.markDone(toHandle.map((d) => d.id));
    if (!optimistic) {
      // Not mine when another worker handled it after this one's lease ran out.
      const mine = await marked;
      const handled = toHandle.filter((d) => mine.has(d.id));
      await this.handleAll(handler, handled);
      return handled;
    }
    const handling = this.handleAll(handler, toHandle);
    // Every handler must be done with the connection before a rollback.
    const [mark, outcome] = await Promise.allSettled([marked, handling]);
    if (mark.status === 'rejected') throw mark.reason;
    if (mark.value.size < toHandle.length) throw new NotAllMine();
    if (outcome.status === 'rejected') throw outcome.reason;
    return toHandle;
  }

  /** Runs the handler on every delivery: concurrently, but in order within each of its `serializeBy` keys. */
  private async handleAll(handler: RegisteredHandler, deliveries: DeliveryRow[]): Promise<void> {
    const sequences = new Map<string, Array<{ delivery: DeliveryRow; event: DomainEvent }>>();
    for (const delivery of deliveries) {
      const event = this.registry.revive(delivery.event_type, delivery.payload);
      const key = handler.serializeBy?.(event as never) ?? '';
      const sequence = sequences.get(key);
      if (sequence) sequence.push({ delivery, event });
      else sequences.set(key, [{ delivery, event }]);
    }
    // allSettled, not all: every handler must be done with the connection before the rollback.
    const results = await Promise.allSettled(
      [...sequences.values()].map(async (sequence) => {
        for (const { delivery, event } of sequence) await runInDelivery(delivery, () => handler.instance.handle(event));
      }),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Puts back in the queue the held deliveries whose flag is on now, for their tenant: what is still
   * switched off stays held, untouched (looking costs one probe of the held index per handler and
   * tenant). A delivery whose handler this build lacks is left to a replica that has it. Called on
   * a flag change, at start and by the sweep; a failure is logged, and the next sweep tries again.
   */
  private async releaseHeld(): Promise<void> {
    try {
      const on: Array<{ handler: string; tenantId: string }> = [];
      for (const group of await this.store.heldGroups()) {
        const handler = this.registry.handler(group.handler);
        if (!handler) continue;
        if (!handler.flag || (await this.flags.isBridgeEnabled(group.tenant_id, handler.flag)))
          on.push({ handler: group.handler, tenantId: group.tenant_id });
      }
      await this.store.releaseHeld(on);
    } catch (err) {
      this.logger.error(`releasing held events failed (the next sweep tries again): ${String(err)}`);
    }
  }

  private async releaseIfOnAgain(flag: FlagName, held: DeliveryRow[]): Promise<void> {
    try {
      for (const tenantId of new Set(held.map((d) => d.tenant_id)))
        if (await this.flags.isBridgeEnabled(tenantId, flag)) return await this.releaseHeld();
    } catch (err) {
      this.logger.error(`reading the flags of held events failed: ${String(err)}`);
    }
  }

  private async recordFailure(delivery: DeliveryRow, handler: RegisteredHandler, err: unknown): Promise<void> {
    const error = err instanceof Error ? err.message : String(err);
    const { maxAttempts, retryBaseMs, retryMaxMs } = this.config.outbox;
    const dead = delivery.attempts >= maxAttempts;
    const what = `${delivery.handler} on ${delivery.event_type} ${delivery.event_id}`;
    this.logger.warn(`${what} failed (attempt ${delivery.attempts}${dead ? ', dead-lettered' : ''}): ${error}`);
    const retryInMs = backoffDelayMs(delivery.attempts, retryBaseMs, retryMaxMs);
    const recorded = await this.tx.run(async () => {
      const changed = dead
        ? await this.store.markDead(delivery.id, error)
        : await this.store.scheduleRetry(delivery.id, retryInMs, error);
      if (changed)
        await this.tell(
          dead ? { kind: 'dead', delivery, handler, error } : { kind: 'retrying', delivery, handler, error, retryInMs },
        );
      return changed;
    });
    // Its handling committed (a callback after the COMMIT threw), or another worker handled, held or dead-lettered it.
    if (!recorded) this.logger.warn(`${what} was no longer pending: nothing recorded, not retried by this worker`);
    else if (!dead) this.wakeIn(handler.name, retryInMs);
  }

  private wakeIn(handler: string, ms: number): void {
    if (!this.running) return;
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.wake(handler);
    }, ms);
    this.retryTimers.add(timer);
  }

  private async tell(outcome: DeliveryOutcome): Promise<void> {
    for (const listener of this.listeners) await listener(outcome);
  }
}
