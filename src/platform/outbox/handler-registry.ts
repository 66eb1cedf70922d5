import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { IEventHandler } from '@nestjs/cqrs';
import { eventTypeOf, type DomainEvent, type EventClass } from './domain-event.js';
import { OUTBOX_HANDLER, type OutboxHandlerOptions } from './outbox-handler.decorator.js';

// @nestjs/cqrs keeps the handled event classes under this (unexported) metadata key.
const EVENTS_HANDLER_METADATA = '__eventsHandler__';

export interface RegisteredHandler extends OutboxHandlerOptions {
  instance: IEventHandler<DomainEvent>;
}

/** Finds every `@EventsHandler` marked `@OutboxHandler`, indexed by the event types it handles. */
@Injectable()
export class HandlerRegistry implements OnModuleInit {
  private readonly byEventType = new Map<string, RegisteredHandler[]>();
  private readonly byName = new Map<string, RegisteredHandler>();
  private readonly eventClasses = new Map<string, EventClass>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const type = wrapper.metatype as EventClass | undefined;
      if (!type || !wrapper.instance) continue;
      const options = Reflect.getMetadata(OUTBOX_HANDLER, type) as OutboxHandlerOptions | undefined;
      const events = Reflect.getMetadata(EVENTS_HANDLER_METADATA, type) as EventClass[] | undefined;
      if (!options || !events) continue;
      if (this.byName.has(options.name)) throw new Error(`two outbox handlers are named "${options.name}"`);
      const handler: RegisteredHandler = { ...options, instance: wrapper.instance as IEventHandler<DomainEvent> };
      this.byName.set(options.name, handler);
      for (const eventClass of events) {
        const eventType = eventTypeOf(eventClass);
        const known = this.eventClasses.get(eventType);
        if (known && known !== eventClass) throw new Error(`two event classes are named "${eventType}"`);
        this.eventClasses.set(eventType, eventClass);
        this.byEventType.set(eventType, [...(this.byEventType.get(eventType) ?? []), handler]);
      }
    }
  }

  handlersFor(eventType: string): RegisteredHandler[] {
    return this.byEventType.get(eventType) ?? [];
  }

  /** The handler of that name, if this build has it. */
  handler(name: string): RegisteredHandler | undefined {
    return this.byName.get(name);
  }

  handlers(): RegisteredHandler[] {
    return [...this.byName.values()];
  }

  /** Rebuilds an event instance from its stored JSON, so handlers get their own class back. */
  revive(eventType: string, payload: object): DomainEvent {
    const eventClass = this.eventClasses.get(eventType);
    if (!eventClass) throw new Error(`no handler knows event type "${eventType}"`);
    return Object.assign(Object.create(eventClass.prototype) as DomainEvent, payload);
  }
}
