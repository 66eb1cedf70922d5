import { CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { IncidentsRepository } from '../../incidents.repository.js';
import { RecordDecision } from '../../record-decision/record-decision.command.js';
import { SetIncidentMitigation } from './set-incident-mitigation.command.js';

@CommandHandler(SetIncidentMitigation)
export class SetIncidentMitigationHandler implements ICommandHandler<SetIncidentMitigation> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly incidents: IncidentsRepository,
    private readonly commands: CommandBus,
  ) {}

  execute(c: SetIncidentMitigation): Promise<boolean> {
    return this.tx.run(async () => {
      const row = await this.incidents.setMitigating(c.tenantId, c.incidentId, c.mitigating);
      if (!row) return false;
      const status = c.mitigating ? 'mitigating' : 'open';
      await this.commands.execute(
        new RecordDecision({
          tenantId: c.tenantId,
          incidentId: c.incidentId,
          kind: 'lifecycle',
          summary: `${status}: ${c.reason}`,
          details: { action: status, reason: c.reason },
        }),
      );
      return true;
    });
  }
}
