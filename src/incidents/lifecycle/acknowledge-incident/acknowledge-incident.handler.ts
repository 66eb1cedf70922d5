import { ConflictException, NotFoundException } from '@nestjs/common';
import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { incidentView, type IncidentView } from '../../incident.view.js';
import { IncidentsRepository } from '../../incidents.repository.js';
import { RecordDecision } from '../../record-decision/record-decision.command.js';
import { AcknowledgeIncident } from './acknowledge-incident.command.js';

@CommandHandler(AcknowledgeIncident)
export class AcknowledgeIncidentHandler implements ICommandHandler<AcknowledgeIncident> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly incidents: IncidentsRepository,
    private readonly commands: CommandBus,
    private readonly audit: AuditTrail,
  ) {}

  execute(c: AcknowledgeIncident): Promise<IncidentView> {
    return this.tx.run(async () => {
      const row = await this.incidents.acknowledge(c.tenantId, c.incidentId, c.actor);
      if (!row) {
        const existing = await this.incidents.find(c.tenantId, c.incidentId);
        if (!existing) throw new NotFoundException(`incident ${c.incidentId} not found`);
        if (existing.status === 'resolved') {
          throw new ConflictException(
            `incident ${c.incidentId} is resolved (by ${existing.resolved_by} at ${existing.resolved_at!.toISOString()}): nothing to acknowledge`,
          );
        }
        throw new ConflictException(
          `incident ${c.incidentId} was already acknowledged by ${existing.acknowledged_by} at ${existing.acknowledged_at!.toISOString()}`,
        );
      }
      await this.commands.execute(
        new RecordDecision({
          tenantId: c.tenantId,
          incidentId: c.incidentId,
          kind: 'lifecycle',
          summary: `acknowledged by ${c.actor}`,
          details: { actor: c.actor, action: 'acknowledged' },
        }),
      );
      await this.audit.record({
        tenantId: c.tenantId,
        actor: c.actor,
        action: 'incident.acknowledged',
        subject: { type: 'incident', id: c.incidentId },
        before: { status: row.status, acknowledgedAt: null },
        after: { status: row.status, acknowledgedAt: row.acknowledged_at },
      });
      return incidentView(row);
    });
  }
}
