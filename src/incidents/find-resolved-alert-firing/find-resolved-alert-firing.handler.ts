import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { IncidentsRepository } from '../incidents.repository.js';
import { FindResolvedAlertFiring } from './find-resolved-alert-firing.query.js';

@QueryHandler(FindResolvedAlertFiring)
export class FindResolvedAlertFiringHandler implements IQueryHandler<FindResolvedAlertFiring> {
  constructor(private readonly incidents: IncidentsRepository) {}

  async execute({ tenantId, fingerprint, startsAt, withinMs }: FindResolvedAlertFiring): Promise<string | null> {
    const last = await this.incidents.lastResolvedByMonitoring(tenantId, fingerprint, withinMs);
    // Both times are monitoring's clock, so they compare; an end it did not say judges nothing.
    if (!last?.alertEndedAt) return null;
    return Date.parse(startsAt) < last.alertEndedAt.getTime() ? last.id : null;
  }
}
