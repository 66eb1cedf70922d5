import { Logger } from '@nestjs/common';
import { CommandBus, EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { IncidentResolved } from '../../incidents/events/incident-resolved.event.js';
import { RecordDecision } from '../../incidents/record-decision/record-decision.command.js';
import { AuditTrail } from '../../platform/audit/audit-trail.js';
import { OutboxHandler } from '../../platform/outbox/outbox-handler.decorator.js';
import { WorkOrderJournal } from '../patches/work-order.journal.js';
import { WorkOrdersRepository } from '../patches/work-orders.repository.js';
import { RecoveryRepository } from '../recovery/recovery.repository.js';

/**
 * A resolved incident needs no fix, so what waited on it in self-healing stops waiting:
 * - its recoveries still waiting for review leave the queue as `superseded`, recorded with who
 *   resolved it (approving one would start a run that waits for nothing);
 * - its work orders record when it was resolved (`incident_resolved_at`): a failed one no longer
 *   waits for a person (the waiting query leaves it out, so the inbox neither lists nor counts it,
 *   at any volume), and one nobody has claimed is canceled by whoever resolved it (no coding agent
 *   takes it up; its run is canceled with no verdict, ADR 0009), unless it is a rollback step's.
 *   One being worked on keeps its status and may finish; its run does not count that as a
 *   verified fix (FinishWaitingStep).
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
    private readonly journal: WorkOrderJournal,
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
    if (settled.length > 0) {
      // Locked by the update: no claim comes between.
      const resolution = { by: e.resolvedBy, at: e.resolvedAt };
      let withdrawn = 0;
      for (const order of settled)
        if (await this.journal.withdrawForResolution(order, resolution, order.for_rollback)) withdrawn++;
      this.logger.log(
        `incident ${e.incidentId} resolved: ${settled.length} work orders settled, ${withdrawn} of them unclaimed and canceled`,
      );
    }
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
