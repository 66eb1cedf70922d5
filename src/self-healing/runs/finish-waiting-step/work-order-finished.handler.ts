import { ConflictException, Logger } from '@nestjs/common';
import { CommandBus, EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import { WorkOrderFinished } from '../../events/work-order-finished.event.js';
import { FinishWaitingStep } from './finish-waiting-step.command.js';

/**
 * A coding agent (or a person, by hand: the role of the key is kept on the step) finished a work order: the run's `escalate` step succeeds when the patch was
 * completed with tests passing (the run then re-runs its verification), and fails otherwise
 * (the run fails and rolls back). An operator's cancel is no failure of the fix: the run is
 * canceled (FinishWaitingStep); so is a finish after the run's incident was resolved, which leaves
 * nothing to verify the patch against.
 */
@EventsHandler(WorkOrderFinished)
@OutboxHandler({ name: 'self-healing.resume-run-after-patch' })
export class WorkOrderFinishedHandler implements IEventHandler<WorkOrderFinished> {
  private readonly logger = new Logger(WorkOrderFinishedHandler.name);

  constructor(private readonly commands: CommandBus) {}

  async handle(e: WorkOrderFinished): Promise<void> {
    if (!e.runId || !e.stepId) return; // raised outside a run
    const passed = e.outcome === 'completed' && e.testsPassed;
    const note = passed
      ? `patch completed, tests passed (work order ${e.workOrderId})`
      : e.outcome === 'completed'
        ? `patch completed but its tests failed (work order ${e.workOrderId})`
        : `work order ${e.workOrderId} ${e.outcome}`;
    try {
      await this.commands.execute(
        new FinishWaitingStep({
          tenantId: e.tenantId,
          runId: e.runId,
          stepId: e.stepId,
          source: {
            kind: 'work_order',
            workOrderId: e.workOrderId,
            ...(e.outcome === 'canceled' ? { canceledBy: e.canceledBy ?? 'an operator' } : {}),
            ...(e.finishedByRole ? { finishedByRole: e.finishedByRole } : {}),
            ...(e.incidentResolvedBy && e.incidentResolvedAt
              ? { incidentResolved: { by: e.incidentResolvedBy, at: e.incidentResolvedAt } }
              : {}),
          },
          outcome: passed ? 'succeeded' : 'failed',
          note,
          output: { workOrderId: e.workOrderId, outcome: e.outcome, testsPassed: e.testsPassed },
        }),
      );
    } catch (err) {
      // The run stopped waiting (canceled, timed out): the patch comes too late to change it.
      if (!(err instanceof ConflictException)) throw err;
      this.logger.log(`work order ${e.workOrderId} finished after its run stopped waiting: ${err.message}`);
    }
  }
}
