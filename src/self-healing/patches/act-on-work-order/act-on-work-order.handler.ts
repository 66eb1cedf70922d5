import { ConflictException, Inject, NotFoundException } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { WorkOrderFinished } from '../../events/work-order-finished.event.js';
import { workOrderView, type WorkOrderRow, type WorkOrderStatus, type WorkOrderView } from '../work-order.view.js';
import { WorkOrderJournal } from '../work-order.journal.js';
import { WorkOrdersRepository } from '../work-orders.repository.js';
import { ActOnWorkOrder } from './act-on-work-order.command.js';

const FINISHED: readonly WorkOrderStatus[] = ['completed', 'failed', 'canceled'];
const HELD: readonly WorkOrderStatus[] = ['claimed', 'in_progress'];

@CommandHandler(ActOnWorkOrder)
export class ActOnWorkOrderHandler implements ICommandHandler<ActOnWorkOrder> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly orders: WorkOrdersRepository,
    private readonly journal: WorkOrderJournal,
    private readonly events: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(c: ActOnWorkOrder): Promise<WorkOrderView> {
    // A lapsed lease is released (and recorded) first, in its own transaction, so it stays released whatever this action does.
    await this.journal.releaseStaleClaims(c.tenantId);
    return this.tx.run(async () => {
      // Locked: of two claims at once, the second sees the first's result and gets 409.
      const order = await this.orders.find(c.tenantId, c.workOrderId, true);
      if (!order) throw new NotFoundException(`work order ${c.workOrderId} not found`);
      if (FINISHED.includes(order.status)) throw new ConflictException(`work order ${order.id} is already ${order.status}`);
      const a = c.action;
      if (a.kind === 'claim') {
        if (order.status !== 'queued') throw new ConflictException(`work order ${order.id} is already claimed by ${order.claimed_by}`);
        const now = new Date();
        const row = await this.orders.update(order.id, { status: 'claimed', claimed_by: c.actor, claim_key_id: c.keyId, claimed_at: now, claim_expires_at: this.leaseFrom(now) });
        return this.done(row, order, 'claimed', c.actor, `work order ${order.id} claimed by ${c.actor}`, null, { claimExpiresAt: row.claim_expires_at!.toISOString() });
      }
      if (a.kind === 'cancel') {
        const row = await this.orders.update(order.id, { status: 'canceled', claim_key_id: null, claim_expires_at: null, failure_reason: a.reason, finished_at: new Date() });
        await this.finish(row, false, 'canceled');
        return this.done(row, order, 'canceled', c.actor, `work order ${order.id} canceled by ${c.actor}: ${a.reason}`, a.reason);
      }
      this.assertClaimant(order, c.keyId);
      if (a.kind === 'progress') {
        // Progress renews the lease: an agent that keeps reporting keeps its claim.
        const row = await this.orders.update(order.id, { status: 'in_progress', claim_expires_at: this.leaseFrom(new Date()) });
        const pct = a.percent === null ? '' : ` (${a.percent} %)`;
        return this.done(row, order, 'progress', c.actor, `work order ${order.id} in progress${pct}: ${a.note}`, a.note, a.percent === null ? {} : { percent: a.percent });
      }
      const finished = { claim_key_id: null, claim_expires_at: null, finished_at: new Date() };
      if (a.kind === 'complete') {
        const row = await this.orders.update(order.id, { ...finished, status: 'completed', result: a.result });
        await this.finish(row, a.result.testsPassed, 'completed');
        const tests = a.result.testsPassed ? 'tests passed' : 'tests failed';
        return this.done(row, order, 'completed', c.actor, `work order ${order.id} completed by ${c.actor} (${tests}): ${a.result.summary}`, a.result.summary, { testsPassed: a.result.testsPassed, filesChanged: a.result.filesChanged, diffUrl: a.result.diffUrl });
      }
      const row = await this.orders.update(order.id, { ...finished, status: 'failed', failure_reason: a.reason });
      await this.finish(row, false, 'failed');
      return this.done(row, order, 'failed', c.actor, `work order ${order.id} failed (${c.actor}): ${a.reason}`, a.reason);
    });
  }

  private leaseFrom(now: Date): Date {
    return new Date(now.getTime() + this.config.workOrderClaimMs);
  }

  private assertClaimant(order: WorkOrderRow, keyId: string): void {
    if (!HELD.includes(order.status)) throw new ConflictException(`work order ${order.id} is not claimed: claim it first`);
    if (order.claim_key_id !== keyId) throw new ConflictException(`work order ${order.id} is claimed by ${order.claimed_by}, not by this key`);
  }

  private finish(row: WorkOrderRow, testsPassed: boolean, outcome: WorkOrderFinished['outcome']): Promise<void> {
    return this.events.publish(
      new WorkOrderFinished({ tenantId: row.tenant_id, workOrderId: row.id, incidentId: row.incident_id, runId: row.run_id, stepId: row.step_id, testsPassed, outcome }),
    );
  }

  private async done(row: WorkOrderRow, before: WorkOrderRow, change: string, actor: string, summary: string, note: string | null, details: Record<string, unknown> = {}): Promise<WorkOrderView> {
    await this.journal.record({ row, from: before.status, change, actor, summary, note, details });
    return workOrderView(row, await this.orders.history(row.id));
  }
}
