import { Global, Module, OnModuleInit } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EventBus } from '@nestjs/cqrs';
import { FlagsModule } from '../flags/flags.module.js';
import { HandlerRegistry } from './handler-registry.js';
import { OutboxBacklog } from './outbox-backlog.js';
import { OutboxPruner } from './outbox.pruner.js';
import { OutboxPublisher } from './outbox.publisher.js';
import { OutboxRelay } from './outbox.relay.js';
import { OutboxRepository } from './outbox.repository.js';

@Global()
@Module({
  imports: [DiscoveryModule, FlagsModule],
  providers: [HandlerRegistry, OutboxPublisher, OutboxRepository, OutboxRelay, OutboxPruner, OutboxBacklog],
  exports: [OutboxPublisher, OutboxRepository, OutboxRelay, HandlerRegistry, OutboxBacklog],
})
export class OutboxModule implements OnModuleInit {
  constructor(
    private readonly eventBus: EventBus,
    private readonly publisher: OutboxPublisher,
  ) {}

  /** Every `eventBus.publish` goes to the outbox; handlers run only from the relay. */
  onModuleInit(): void {
    this.eventBus.publisher = this.publisher;
  }
}
