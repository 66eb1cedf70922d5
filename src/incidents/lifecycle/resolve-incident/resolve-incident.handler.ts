import { NotFoundException } from '@nestjs/common';
import { CommandBus, CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { keyIdOfActor } from '../../../platform/auth/principal.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { IncidentResolved } from '../../events/incident-resolved.event.js';
import { incidentView } from '../../incident.view.js';
import { IncidentsRepository } from '../../incidents.repository.js';
import { RecordDecision } from '../../record-decision/record-decision.command.js';
import { ResolveIncident, type ResolveIncidentResult } from './resolve-incident.command.js';

@CommandHandler(ResolveIncident)
export class ResolveIncidentHandler implements ICommandHandler<ResolveIncident> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly incidents: IncidentsRepository,
    private readonly commands: CommandBus,
    private readonly events: EventBus,
    private readonly audit: AuditTrail,
  ) {}

  execute(c: ResolveIncident): Promise<ResolveIncidentResult> {
    return this.tx.run(async () => {
      const row = await this.incidents.resolve(c.tenantId, c.incidentId, c.resolvedBy, {
        alertEndedAt: c.alertEndedAt ?? null,
        runPersonActed: c.personActed ?? null,
      });
      if (!row) {
        const existing = await this.incidents.find(c.tenantId, c.incidentId);
        if (!existing) throw new NotFoundException(`incident ${c.incidentId} not found`);
        return { incident: incidentView(existing), changed: false };
      }
      const mttrMs = row.resolved_at!.getTime() - row.occurred_at.getTime();
      await this.commands.execute(
        new RecordDecision({
          tenantId: c.tenantId,
          incidentId: c.incidentId,
          kind: 'lifecycle',
          summary: `resolved by ${c.resolvedBy}${c.note ? `: ${c.note}` : ''}`,
          details: { action: 'resolved', resolvedBy: c.resolvedBy, note: c.note ?? null, mttrMs },
        }),
      );
      // A person's resolution. A run's is its verdict (run.succeeded, already in this transaction),
      // monitoring's an observation: neither is a decision of its own, and runs are the hot path.
      if (keyIdOfActor(c.resolvedBy) !== null)
        await this.audit.record({
          tenantId: c.tenantId,
          actor: c.resolvedBy,
          action: 'incident.resolved',
          subject: { type: 'incident', id: c.incidentId },
          after: { status: row.status, resolvedAt: row.resolved_at, mttrMs },
          reason: `resolved by ${c.resolvedBy}${c.note ? `: ${c.note}` : ''}`,
        });
      // What still waits on it stops waiting (self-healing's reviews and work orders, intake's escalations), durably, after this commits.
      await this.events.publish(
        new IncidentResolved({
          tenantId: c.tenantId,
          incidentId: c.incidentId,
          resolvedBy: c.resolvedBy,
          resolvedAt: row.resolved_at!.toISOString(),
          source: row.source,
        }),
      );
      return { incident: incidentView(row), changed: true };
    });
  }
}
