import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
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
  ) {}

  execute(p: CreateWorkOrder): Promise<WorkOrderView> {
    return this.tx.run(async () => {
      const row = await this.orders.insert(p);
      const actor = p.actor ?? (p.runId ? `run ${p.runId}` : 'system');
      await this.journal.record({
        row,
        from: null,
        change: 'created',
        actor,
        summary: `work order ${row.id} queued for a coding agent (${row.priority} priority, ${row.complexity})${p.runId ? `: run ${p.runId} escalated` : ''}`,
        details: { priority: row.priority, complexity: row.complexity, stepId: row.step_id },
      });
      return workOrderView(row);
    });
  }
}
