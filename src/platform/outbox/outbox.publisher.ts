import { Injectable } from '@nestjs/common';
import type { IEvent, IEventPublisher } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { NotifyBatcher } from '../database/notify-batcher.js';
import { TransactionHost, type Statement } from '../database/transaction-host.js';
import { uuidv7 } from '../ids/uuid-v7.js';
import { eventTypeOf, type DomainEvent } from './domain-event.js';
import { HandlerRegistry } from './handler-registry.js';
import { insertDeliveries, insertLeasedDeliveries, OUTBOX_CHANNEL, type DeliveryRow } from './outbox.repository.js';

type InTransactionHook = (event: DomainEvent) => Promise<void>;

/** A delivery's values as the outbox inserts take them: event_id, event_type, handler, tenant_id, incident_id, payload. */
type DeliveryValues = [string, string, string, string, string | null, string];

/** This replica's relay, as the publisher sees it. */
export interface LocalRelay {
  /** Marks the deliveries it is handed as its own. */
  workerId: string;
  leaseMs: number;
  /** Whether it takes `count` more deliveries of `handler` now, without a claim. */
  accepts(handler: string, count: number): boolean;
  /** Deliveries leased to it when they were stored, now committed: handled without a claim. */
  handOff(deliveries: DeliveryRow[]): void;
  /** Something may be due for `handler`: claim. */
  wake(handler: string): void;
}

/**
 * The EventBus publisher: `eventBus.publish(event)` writes one outbox row per handler of the
 * event, in the caller's transaction, so an event exists exactly when its cause committed.
 */
@Injectable()
export class OutboxPublisher implements IEventPublisher {
  private readonly hooks = new Map<string, InTransactionHook[]>();

  /** Set by this replica's relay while it runs. */
  local: LocalRelay | null = null;

  /** Marks this replica's NOTIFYs, so its relay, already woken directly, ignores their echo. */
  readonly origin = randomUUID().slice(0, 8);

  constructor(
    private readonly tx: TransactionHost,
    private readonly registry: HandlerRegistry,
    private readonly notifier: NotifyBatcher,
  ) {}

  /**
   * Work that must commit with the event itself (not after it, like a handler), e.g. the
   * loop trace that starts with an incident. Kept to bookkeeping; business rules belong in handlers.
   */
  onPublishInTransaction(eventType: string, hook: InTransactionHook): void {
    this.hooks.set(eventType, [...(this.hooks.get(eventType) ?? []), hook]);
  }

  publish<E extends IEvent>(event: E): Promise<void> {
    return this.publishAll([event]);
  }

  async publishAll<E extends IEvent>(published: E[]): Promise<void> {
    const events = published as unknown as DomainEvent[];
    if (!this.tx.inTransaction) {
      throw new Error('events must be published inside a transaction (TransactionHost.run)');
    }
    for (const event of events) {
      const eventType = eventTypeOf(event);
      const handlers = this.registry.handlersFor(eventType).filter((h) => h.takes?.(event as never) ?? true);
      // An event no handler takes (a run's progress: only its in-transaction hook) is not serialised.
      const eventId = handlers.length > 0 ? uuidv7() : '';
      const payload = handlers.length > 0 ? JSON.stringify(event) : '';
      for (const handler of handlers)
        await this.tx.deferWrite<DeliveryValues>(this.writeDeliveries, [
          eventId,
          eventType,
          handler.name,
          event.tenantId,
          event.incidentId ?? null,
          payload,
        ]);
      for (const hook of this.hooks.get(eventType) ?? []) await hook(event);
    }
  }

  /**
   * A transaction's deliveries, written with its COMMIT. Those of a handler this replica's relay
   * takes now (no more than one batch of them) are stored leased to it and handed to it once
   * committed: no claim, no round trip, no wait for a lane to wake (ADR 0004). If this replica
   * dies first, the lease lapses and any relay claims them, as when it dies after a claim. The
   * rest are stored due, and the relays are woken: this replica's at once, the others through
   * NOTIFY, and only the lanes of the handlers that have new deliveries.
   */
  private readonly writeDeliveries = (rows: DeliveryValues[]): Statement[] => {
    const local = this.local;
    const perHandler = new Map<string, number>();
    for (const [, , handler] of rows) perHandler.set(handler, (perHandler.get(handler) ?? 0) + 1);
    const handed = new Set([...perHandler].filter(([h, n]) => local?.accepts(h, n)).map(([h]) => h));
    const due = rows.filter(([, , handler]) => !handed.has(handler));
    const statements: Statement[] = [];
    if (due.length > 0) {
      statements.push(...insertDeliveries(due));
      for (const name of new Set(due.map(([, , handler]) => handler))) {
        this.tx.afterCommit(() => this.local?.wake(name));
        this.notifier.notifyAfterCommit(OUTBOX_CHANNEL, `${name} ${this.origin}`);
      }
    }
    if (local && handed.size > 0) {
      let stored: DeliveryRow[] = [];
      const leased = insertLeasedDeliveries(
        rows.filter(([, , handler]) => handed.has(handler)),
        local.workerId,
        local.leaseMs,
      );
      statements.push({ ...leased, onRows: (r) => (stored = r as unknown as DeliveryRow[]) });
      this.tx.afterCommit(() => local.handOff(stored));
    }
    return statements;
  };
}
