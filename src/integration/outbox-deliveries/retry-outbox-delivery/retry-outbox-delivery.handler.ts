import { ConflictException, NotFoundException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { HandlerRegistry } from '../../../platform/outbox/handler-registry.js';
import { OutboxRepository } from '../../../platform/outbox/outbox.repository.js';
import { LoopTraceRepository } from '../../loop-status/loop-trace.repository.js';
import { loopStageOf, outboxDeliveryView, type OutboxDeliveryView } from '../outbox-delivery.view.js';
import { RetryOutboxDelivery } from './retry-outbox-delivery.command.js';

@CommandHandler(RetryOutboxDelivery)
export class RetryOutboxDeliveryHandler implements ICommandHandler<RetryOutboxDelivery> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly outbox: OutboxRepository,
    private readonly registry: HandlerRegistry,
    private readonly traces: LoopTraceRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ tenantId, id, actor }: RetryOutboxDelivery): Promise<OutboxDeliveryView> {
    return this.tx.run(async () => {
      const before = await this.outbox.findDelivery(tenantId, id);
      if (!before) throw new NotFoundException(`outbox delivery ${id} not found`);
      if (before.status !== 'dead')
        throw new ConflictException(`outbox delivery ${id} is ${before.status}: only a dead letter can be retried`);
      const handler = this.registry.handler(before.handler);
      // No relay of this build claims it: back in the queue it would wait there for ever.
      if (!handler)
        throw new ConflictException(
          `no handler ${before.handler} in this build: outbox delivery ${id} cannot be retried`,
        );
      // Locked and re-read: a retry that raced this one and won leaves nothing dead.
      const row = await this.outbox.requeueDead(tenantId, id);
      if (!row)
        throw new ConflictException(`outbox delivery ${id} is no longer dead: only a dead letter can be retried`);
      // Its loop stage shows pending again in this transaction (as POST /integration/loop/…/retry
      // does): a relay woken by the commit may fail or hold it at once, and that record must stand.
      const stage = loopStageOf(row, handler);
      if (stage) await this.traces.markPending(row.incident_id!, stage);
      // Its last error is left out of the entry: a handler's error may quote anything it read.
      await this.audit.record({
        tenantId,
        actor,
        action: 'outbox_delivery.retried',
        subject: { type: 'outbox_delivery', id },
        before: {
          status: 'dead',
          attempts: row.attempts_before,
          handler: row.handler,
          eventType: row.event_type,
          incidentId: row.incident_id,
        },
        after: { status: row.status, attempts: row.attempts, loopStage: stage },
      });
      return outboxDeliveryView(row, handler);
    });
  }
}
