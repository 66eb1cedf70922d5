import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { runView, type RunView } from '../run.view.js';
import { RunsRepository } from '../runs.repository.js';
import { ListIncidentRuns } from './list-incident-runs.query.js';

@QueryHandler(ListIncidentRuns)
export class ListIncidentRunsHandler implements IQueryHandler<ListIncidentRuns> {
  constructor(private readonly runs: RunsRepository) {}

  async execute(q: ListIncidentRuns): Promise<RunView[]> {
    const rows = await this.runs.listOfIncident(q.tenantId, q.incidentId);
    const steps = await this.runs.stepsByRun(rows.map((r) => r.id));
    return rows.map((r) => runView(r, steps.get(r.id)));
  }
}
