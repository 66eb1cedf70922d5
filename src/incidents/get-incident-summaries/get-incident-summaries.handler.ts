import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { IncidentsRepository } from '../incidents.repository.js';
import { GetIncidentSummaries, type IncidentSummary } from './get-incident-summaries.query.js';

@QueryHandler(GetIncidentSummaries)
export class GetIncidentSummariesHandler implements IQueryHandler<GetIncidentSummaries> {
  constructor(private readonly incidents: IncidentsRepository) {}

  async execute({ tenantId, incidentIds }: GetIncidentSummaries): Promise<IncidentSummary[]> {
    if (incidentIds.length === 0) return [];
    const rows = await this.incidents.findMany(tenantId, [...new Set(incidentIds)]);
    return rows.map((r) => ({
      id: r.id,
      title: r.title,
      status: r.status,
      source: r.source,
      agentId: r.agent_id,
      capability: r.capability,
      createdAt: r.created_at.toISOString(),
    }));
  }
}
