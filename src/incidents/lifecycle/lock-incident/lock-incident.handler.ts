import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { IncidentsRepository } from '../../incidents.repository.js';
import { LockIncident } from './lock-incident.command.js';

@CommandHandler(LockIncident)
export class LockIncidentHandler implements ICommandHandler<LockIncident> {
  constructor(private readonly incidents: IncidentsRepository) {}

  execute(c: LockIncident): Promise<boolean> {
    return this.incidents.lock(c.tenantId, c.incidentId);
  }
}
