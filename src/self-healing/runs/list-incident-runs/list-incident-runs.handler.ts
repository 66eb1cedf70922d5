import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { runView, type RunRow, type RunView } from '../run.view.js';
import { RunsRepository } from '../runs.repository.js';
import { ListIncidentRuns } from './list-incident-runs.query.js';

@QueryHandler(ListIncidentRuns)
export class ListIncidentRunsHandler implements IQueryHandler<ListIncidentRuns> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly runs: RunsRepository,
  ) {}

  async execute(q: ListIncidentRuns): Promise<RunView[]> {
    const rows = await this.tx.query<RunRow>(`SELECT * FROM recovery_runs WHERE tenant_id = $1 AND incident_id = $2 ORDER BY created_at, id`, [q.tenantId, q.incidentId]);
    const steps = await this.runs.stepsByRun(rows.map((r) => r.id));
    return rows.map((r) => runView(r, steps.get(r.id)));
  }
}
