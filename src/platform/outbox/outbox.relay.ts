import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PgNotifications } from '../database/pg-notifications.js';
import { TransactionHost } from '../database/transaction-host.js';
import { FlagsService } from '../flags/flags.service.js';
import { backoffDelayMs } from './backoff.js';
import { runInDelivery } from './delivery-context.js';
import { HandlerRegistry, type RegisteredHandler } from './handler-registry.js';
import { OutboxPublisher } from './outbox.publisher.js';
import { OUTBOX_CHANNEL, OutboxStore, type DeliveryRow } from './outbox.store.js';

export type DeliveryOutcome =
  | { kind: 'handled'; delivery: DeliveryRow; handler: RegisteredHandler }
  | { kind: 'held'; delivery: DeliveryRow; handler: RegisteredHandler }
  | { kind: 'retrying'; delivery: DeliveryRow; handler: RegisteredHandler; error: string; retryInMs: number }
  | { kind: 'dead'; delivery: DeliveryRow; handler: RegisteredHandler; error: string };

/** Told of every delivery's outcome, inside the transaction that records it ('handled' after commit). */
export type OutcomeListener = (outcome: DeliveryOutcome) => Promise<void> | void;

/**
 * Claims due outbox deliveries and runs their handlers, at most OUTBOX_CONCURRENCY at a time.
 * Wakes on NOTIFY from any commit that adds deliveries; polls only as a fallback.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly inflight = new Set<Promise<void>>();
  private readonly listeners: OutcomeListener[] = [];
  private running = false;
  private pumping = false;
  /** Set when something may have become due since the last claim. */
  private dirty = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private retryTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly store: OutboxStore,
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
    this.notifications.on(OUTBOX_CHANNEL, () => this.wake());
    this.publisher.wakeLocal = () => this.wake();
    this.flags.onChange(() => {
      this.store.releaseHeld().catch((err) => this.logger.error(`releasing held events failed: ${String(err)}`));
    });
    const poll = () => {
      this.wake();
      this.pollTimer = setTimeout(poll, this.config.outbox.pollIntervalMs);
    };
    poll();
  }

  /** Stops claiming, then waits (up to SHUTDOWN_TIMEOUT_MS) for handlers already running. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    const drained = Promise.allSettled([...this.inflight]);
    const timeout = new Promise((resolve) => setTimeout(resolve, this.config.shutdownTimeoutMs).unref());
    await Promise.race([drained, timeout]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  wake(): void {
    this.dirty = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping || !this.running) return;
    this.pumping = true;
    try {
      while (this.running && this.dirty) {
        const free = this.config.outbox.concurrency - this.inflight.size;
        if (free <= 0) return; // a finishing handler pumps again
        this.dirty = false;
        const claimed = await this.store.claim(this.workerId, free, this.config.outbox.leaseMs);
        // A full batch means more may be waiting.
        if (claimed.length === free) this.dirty = true;
        for (const delivery of claimed) this.track(this.process(delivery));
      }
    } catch (err) {
      this.logger.error(`claiming outbox events failed: ${String(err)}`);
    } finally {
      this.pumping = false;
    }
  }

  private track(work: Promise<void>): void {
    this.inflight.add(work);
    void work.finally(() => {
      this.inflight.delete(work);
      if (this.dirty) void this.pump();
    });
  }

  private async process(delivery: DeliveryRow): Promise<void> {
    const handler = this.registry.handler(delivery.handler);
    try {
      if (!handler) throw new Error(`no handler named "${delivery.handler}" in this build`);
      if (handler.flag && !(await this.flags.isBridgeEnabled(delivery.tenant_id, handler.flag))) {
        await this.tx.run(async () => {
          await this.store.markHeld(delivery.id);
          await this.tell({ kind: 'held', delivery, handler });
        });
        return;
      }
      const event = this.registry.revive(delivery.event_type, delivery.payload);
      await this.tx.run(async () => {
        // The mark, the handler's effects, its events and "done" commit together or not at all.
        if (await this.store.markConsumed(delivery.event_id, delivery.handler)) {
          await runInDelivery(delivery, () => handler.instance.handle(event));
        }
        await this.store.markDone(delivery.id);
      });
      await this.tell({ kind: 'handled', delivery, handler }).catch(() => undefined);
    } catch (err) {
      await this.recordFailure(delivery, handler, err).catch((failure) =>
        // The lease then expires and the delivery is tried again: nothing is lost.
        this.logger.error(`recording the failure of delivery ${delivery.id} failed: ${String(failure)}`),
      );
    }
  }

  private async recordFailure(delivery: DeliveryRow, handler: RegisteredHandler | undefined, err: unknown): Promise<void> {
    const error = err instanceof Error ? err.message : String(err);
    const { maxAttempts, retryBaseMs, retryMaxMs } = this.config.outbox;
    const dead = delivery.attempts >= maxAttempts;
    this.logger.warn(`${delivery.handler} failed on ${delivery.event_type} ${delivery.event_id} (attempt ${delivery.attempts}${dead ? ', dead-lettered' : ''}): ${error}`);
    const retryInMs = backoffDelayMs(delivery.attempts, retryBaseMs, retryMaxMs);
    await this.tx.run(async () => {
      if (dead) await this.store.markDead(delivery.id, error);
      else await this.store.scheduleRetry(delivery.id, retryInMs, error);
      if (handler) {
        await this.tell(dead ? { kind: 'dead', delivery, handler, error } : { kind: 'retrying', delivery, handler, error, retryInMs });
      }
    });
    if (!dead) this.wakeIn(retryInMs);
  }

  private wakeIn(ms: number): void {
    if (!this.running) return;
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.wake();
    }, ms);
    this.retryTimers.add(timer);
  }

  private async tell(outcome: DeliveryOutcome): Promise<void> {
    for (const listener of this.listeners) await listener(outcome);
  }
}
