import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { IncidentResolved } from '../../../incidents/events/incident-resolved.event.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import { SignalsRepository } from '../signals.repository.js';

/**
 * A resolved incident's degradation escalations no longer wait for a person: each records when
 * it was resolved, and `ListArmedEscalations` leaves it out (the inbox neither lists nor counts
 * it, at any volume). It stays armed for detection until its TTL: one degradation, one incident.
 */
@EventsHandler(IncidentResolved)
// Only degradation detection raises escalations: no delivery for the incidents of other sources.
@OutboxHandler({ name: 'intake.settle-escalations', takes: (e: IncidentResolved) => e.source === 'degradation' })
export class SettleEscalationsHandler implements IEventHandler<IncidentResolved> {
  constructor(private readonly signals: SignalsRepository) {}

  async handle(e: IncidentResolved): Promise<void> {
    await this.signals.markIncidentResolved(e.tenantId, e.incidentId, new Date(e.resolvedAt));
  }
}
