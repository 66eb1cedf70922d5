import { Module, OnModuleInit } from '@nestjs/common';
import { IncidentCreated } from '../incidents/events/incident-created.event.js';
import { eventTypeOf } from '../platform/outbox/domain-event.js';
import { OutboxPublisher } from '../platform/outbox/outbox.publisher.js';
import { GetLoopStatusHandler } from './loop-status/get-loop-status.handler.js';
import { LoopController } from './loop-status/loop.controller.js';
import { LoopTraceRepository } from './loop-status/loop-trace.repository.js';

/** The loop: the five bridges, loop traces, the /integration API and its live stream. */
@Module({
  controllers: [LoopController],
  providers: [LoopTraceRepository, GetLoopStatusHandler],
})
export class IntegrationModule implements OnModuleInit {
  constructor(
    private readonly publisher: OutboxPublisher,
    private readonly traces: LoopTraceRepository,
  ) {}

  onModuleInit(): void {
    // The trace starts in the incident's own transaction: an incident never exists without one.
    this.publisher.onPublishInTransaction(eventTypeOf(IncidentCreated), (event) => {
      const e = event as IncidentCreated;
      return this.traces.start(e.tenantId, e.incidentId, e.createdAt);
    });
  }
}
