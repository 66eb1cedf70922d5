import { ConflictException, NotFoundException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../../platform/database/transaction-host.js';
import { ChannelRepository } from '../../channels/channel.repository.js';
import { DeliveryWakeups } from '../../dispatch/delivery-wakeups.js';
import { DeliveryRepository } from '../delivery.repository.js';
import { deliveryView, type DeliveryView } from '../delivery.view.js';
import { RetryDelivery } from './retry-delivery.command.js';

@CommandHandler(RetryDelivery)
export class RetryDeliveryHandler implements ICommandHandler<RetryDelivery> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly deliveries: DeliveryRepository,
    private readonly channels: ChannelRepository,
    private readonly wakeups: DeliveryWakeups,
    private readonly audit: AuditTrail,
  ) {}

  execute({ tenantId, id, actor }: RetryDelivery): Promise<DeliveryView> {
    return this.tx.run(async () => {
      const before = await this.deliveries.find(tenantId, id);
      if (!before) throw new NotFoundException(`notification delivery ${id} not found`);
      if (before.status !== 'dead')
        throw new ConflictException(
          `notification delivery ${id} is ${before.status}: only a dead-lettered delivery can be retried`,
        );
      if (!(await this.channels.find(tenantId, before.channel))) {
        throw new ConflictException(
          `channel ${before.channel} no longer exists: notification delivery ${id} cannot be sent`,
        );
      }
      const row = (await this.deliveries.requeueDead(tenantId, id))!;
      // Its last error is left out: it quotes the receiver's answer, which may hold anything.
      const state = (d: typeof row) => ({ status: d.status, attempts: d.attempts });
      await this.audit.record({
        tenantId,
        actor,
        action: 'notification_delivery.retried',
        subject: { type: 'notification_delivery', id },
        before: { ...state(before), channel: before.channel, rule: before.rule, event: before.event },
        after: state(row),
      });
      this.wakeups.afterCommit();
      return deliveryView(row);
    });
  }
}
