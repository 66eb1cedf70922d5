import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { IncidentsRepository } from '../incidents.repository.js';
import { FindResolvedAlertFiring } from './find-resolved-alert-firing.query.js';

@QueryHandler(FindResolvedAlertFiring)
export class FindResolvedAlertFiringHandler implements IQueryHandler<FindResolvedAlertFiring> {
  constructor(private readonly incidents: IncidentsRepository) {}

  async execute({ tenantId, fingerprint, startsAt, withinMs }: FindResolvedAlertFiring): Promise<string | null> {
    const last = await this.incidents.lastResolvedByMonitoring(tenantId, fingerprint, withinMs);
    // Compared as instants: the two members of an HA pair may write one time differently.
    return last !== null && Date.parse(last.startsAt ?? '') === Date.parse(startsAt) ? last.id : null;
  }
}
