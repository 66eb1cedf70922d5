import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { IncidentResolved } from '../../../incidents/events/incident-resolved.event.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import { WorkOrdersRepository } from '../work-orders.repository.js';

/**
 * A resolved incident leaves nothing to do about its work orders' failures: each of its orders
 * records when it was resolved, and a failed one stops waiting for a person (self-healing's
 * waiting query leaves it out, so the inbox neither lists nor counts it, at any volume). The
 * orders keep their status: a failed order is finished, and one still being worked on may finish.
 */
@EventsHandler(IncidentResolved)
@OutboxHandler({ name: 'self-healing.settle-work-orders' })
export class SettleWorkOrdersHandler implements IEventHandler<IncidentResolved> {
  private readonly logger = new Logger(SettleWorkOrdersHandler.name);

  constructor(private readonly orders: WorkOrdersRepository) {}

  async handle(e: IncidentResolved): Promise<void> {
    const settled = await this.orders.markIncidentResolved(e.tenantId, e.incidentId, new Date(e.resolvedAt));
    if (settled > 0) this.logger.log(`incident ${e.incidentId} resolved: ${settled} work orders settled`);
  }
}
