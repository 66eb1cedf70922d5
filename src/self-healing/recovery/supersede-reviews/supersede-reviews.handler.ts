import { Logger } from '@nestjs/common';
import { CommandBus, EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { IncidentResolved } from '../../../incidents/events/incident-resolved.event.js';
import { RecordDecision } from '../../../incidents/record-decision/record-decision.command.js';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import { RecoveryRepository } from '../recovery.repository.js';

/**
 * A resolved incident needs no fix: its recoveries still waiting for review leave the queue as
 * `superseded`, recorded with who resolved it (approving one would start a run that waits for nothing).
 */
@EventsHandler(IncidentResolved)
@OutboxHandler({ name: 'self-healing.supersede-reviews' })
export class SupersedeReviewsHandler implements IEventHandler<IncidentResolved> {
  private readonly logger = new Logger(SupersedeReviewsHandler.name);

  constructor(
    private readonly recoveries: RecoveryRepository,
    private readonly commands: CommandBus,
    private readonly audit: AuditTrail,
  ) {}

  async handle(e: IncidentResolved): Promise<void> {
    const why = `incident resolved by ${e.resolvedBy} at ${e.resolvedAt}`;
    const ids = await this.recoveries.supersedeForIncident(e.tenantId, e.incidentId, why);
    if (ids.length === 0) return;
    for (const id of ids) {
      await this.audit.record({
        tenantId: e.tenantId,
        actor: 'system',
        action: 'recovery.superseded',
        subject: { type: 'recovery', id },
        before: { status: 'pending_review' },
        after: { status: 'superseded' },
        reason: why,
      });
    }
    await this.commands.execute(
      new RecordDecision({
        tenantId: e.tenantId,
        incidentId: e.incidentId,
        kind: 'recovery',
        summary: `${ids.length === 1 ? 'recovery' : `${ids.length} recoveries`} left the review queue: ${why}`,
        details: { action: 'superseded', recoveryIds: ids },
      }),
    );
    this.logger.log(`incident ${e.incidentId} resolved: ${ids.length} recoveries superseded`);
  }
}
