import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { IncidentRepeated } from '../../../incidents/events/incident-repeated.event.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import { RunWakeups } from '../run-wakeups.js';
import { RunsRepository } from '../runs.repository.js';

/**
 * Monitoring fired the incident's alert again (deduplicated onto it): a run whose fix was applied
 * before that, and whose window had not ended, has not fixed it. Judged by when the repeat was
 * seen, not when this is handled; the engine fails the run at its next turn.
 */
@EventsHandler(IncidentRepeated)
@OutboxHandler({ name: 'self-healing.note-alert-repeat' })
export class AlertRepeatedHandler implements IEventHandler<IncidentRepeated> {
  constructor(
    private readonly runs: RunsRepository,
    private readonly wakeups: RunWakeups,
  ) {}

  async handle(e: IncidentRepeated): Promise<void> {
    const n = await this.runs.noteAlertRepeat({
      tenantId: e.tenantId,
      incidentId: e.incidentId,
      seenAt: new Date(e.seenAt),
    });
    if (n > 0) this.wakeups.afterCommit();
  }
}
