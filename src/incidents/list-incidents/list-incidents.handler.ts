import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { decodeCursor, encodeCursor, pageOf } from '../../platform/http/cursor.js';
import { type IncidentPage, incidentView } from '../incident.view.js';
import { IncidentsRepository } from '../incidents.repository.js';
import { ListIncidents } from './list-incidents.query.js';

@QueryHandler(ListIncidents)
export class ListIncidentsHandler implements IQueryHandler<ListIncidents> {
  constructor(private readonly incidents: IncidentsRepository) {}

  async execute({ tenantId, query }: ListIncidents): Promise<IncidentPage> {
    const limit = query.limit ?? 50;
    const rows = await this.incidents.list(tenantId, query, decodeCursor(query.cursor), limit + 1);
    return pageOf(rows, limit, incidentView, (r) => encodeCursor(r.created_at, r.id));
  }
}
