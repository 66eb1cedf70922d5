import { Injectable } from '@nestjs/common';
import type { IEvent, IEventPublisher } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { NotifyBatcher } from '../database/notify-batcher.js';
import { TransactionHost } from '../database/transaction-host.js';
import { uuidv7 } from '../ids/uuid-v7.js';
import { eventTypeOf, type DomainEvent } from './domain-event.js';
import { HandlerRegistry } from './handler-registry.js';
import { insertDeliveries, OUTBOX_CHANNEL } from './outbox.repository.js';

type InTransactionHook = (event: DomainEvent) => Promise<void>;

/**
 * The EventBus publisher: `eventBus.publish(event)` writes one outbox row per handler of the
 * event, in the caller's transaction, so an event exists exactly when its cause committed.
 */
@Injectable()
export class OutboxPublisher implements IEventPublisher {
  private readonly hooks = new Map<string, InTransactionHook[]>();

  /** Set by this replica's relay when it runs. */
  wakeLocal: ((handler: string) => void) | null = null;

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
    const handlerNames = new Set<string>();
    for (const event of events) {
      const eventType = eventTypeOf(event);
      const handlers = this.registry.handlersFor(eventType);
      // An event no handler takes (a run's progress: only its in-transaction hook) is not serialised.
      const eventId = handlers.length > 0 ? uuidv7() : '';
      const payload = handlers.length > 0 ? JSON.stringify(event) : '';
      for (const handler of handlers) {
        await this.tx.deferWrite(insertDeliveries, [
          eventId,
          eventType,
          handler.name,
          event.tenantId,
          event.incidentId ?? null,
          payload,
        ]);
        handlerNames.add(handler.name);
      }
      for (const hook of this.hooks.get(eventType) ?? []) await hook(event);
    }
    // Relays wake once the rows are visible: this replica's at once, the others through NOTIFY,
    // and only the lanes of the handlers that have new deliveries.
    for (const name of handlerNames) {
      this.tx.afterCommit(() => this.wakeLocal?.(name));
      this.notifier.notifyAfterCommit(OUTBOX_CHANNEL, `${name} ${this.origin}`);
    }
  }
}
