import { Logger } from '@nestjs/common';
import { CommandBus, EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { IncidentResolved } from '../../incidents/events/incident-resolved.event.js';
import { RecordDecision } from '../../incidents/record-decision/record-decision.command.js';
import { AuditTrail } from '../../platform/audit/audit-trail.js';
import { OutboxHandler } from '../../platform/outbox/outbox-handler.decorator.js';
import { WorkOrdersRepository } from '../patches/work-orders.repository.js';
import { RecoveryRepository } from '../recovery/recovery.repository.js';

/**
 * A resolved incident needs no fix, so what waited on it in self-healing stops waiting:
 * - its recoveries still waiting for review leave the queue as `superseded`, recorded with who
 *   resolved it (approving one would start a run that waits for nothing);
 * - its work orders record when it was resolved (`incident_resolved_at`): a failed one no longer
 *   waits for a person (the waiting query leaves it out, so the inbox neither lists nor counts it,
 *   at any volume). They keep their status: one still being worked on may finish.
 * One handler for both, so a resolution costs self-healing one delivery; its outbox name is older
 * than its work orders and kept, so deliveries stored under it are still handled.
 */
@EventsHandler(IncidentResolved)
@OutboxHandler({ name: 'self-healing.supersede-reviews' })
export class SettleOnIncidentResolvedHandler implements IEventHandler<IncidentResolved> {
  private readonly logger = new Logger(SettleOnIncidentResolvedHandler.name);

  constructor(
    private readonly recoveries: RecoveryRepository,
    private readonly orders: WorkOrdersRepository,
    private readonly commands: CommandBus,
    private readonly audit: AuditTrail,
  ) {}

  async handle(e: IncidentResolved): Promise<void> {
    const why = `incident resolved by ${e.resolvedBy} at ${e.resolvedAt}`;
    // Sent together: one round trip on the delivery's connection.
    const [ids, settled] = await Promise.all([
      this.recoveries.supersedeForIncident(e.tenantId, e.incidentId, why),
      this.orders.markIncidentResolved(e.tenantId, e.incidentId, new Date(e.resolvedAt)),
    ]);
    if (settled > 0) this.logger.log(`incident ${e.incidentId} resolved: ${settled} work orders settled`);
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
