import { CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { FindResolvedIncidents } from '../../../incidents/find-resolved/find-resolved-incidents.query.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { WorkOrderJournal } from '../work-order.journal.js';
import { workOrderView, type WorkOrderView } from '../work-order.view.js';
import { WorkOrdersRepository } from '../work-orders.repository.js';
import { CreateWorkOrder } from './create-work-order.command.js';

@CommandHandler(CreateWorkOrder)
export class CreateWorkOrderHandler implements ICommandHandler<CreateWorkOrder> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly orders: WorkOrdersRepository,
    private readonly journal: WorkOrderJournal,
    private readonly queries: QueryBus,
  ) {}

  execute(p: CreateWorkOrder): Promise<WorkOrderView> {
    return this.tx.run(async () => {
      // Raised on an incident resolved already (its IncidentResolved handled before it existed):
      // settled from the start, so a failure of it does not wait on an incident nobody will resolve again.
      // Held until this commits: a resolution meanwhile waits, and its handler then finds this order.
      const resolved =
        p.incidentId !== null &&
        (
          await this.queries.execute(
            new FindResolvedIncidents({ tenantId: p.tenantId, incidentIds: [p.incidentId], holdUntilCommit: true }),
          )
        ).length > 0;
      const row = await this.orders.insert(p, resolved);
      const actor = p.actor ?? (p.runId ? `run ${p.runId}` : 'system');
      await this.journal.record({
        row,
        from: null,
        change: 'created',
        actor,
        summary: `work order ${row.id} queued for a coding agent (${row.priority} priority, ${row.complexity})${p.runId ? `: run ${p.runId} escalated` : ''}`,
        details: { priority: row.priority, complexity: row.complexity, stepId: row.step_id },
      });
      // Nothing is left to patch: withdrawn at once, as the resolution withdraws the queued ones
      // (unless a rollback step's). The run waiting on it hears so as from a cancel.
      const resolution = resolved ? await this.journal.incidentResolution(row) : null;
      const withdrawn = resolution && (await this.journal.withdrawForResolution(row, resolution));
      return workOrderView(withdrawn || row);
    });
  }
}
