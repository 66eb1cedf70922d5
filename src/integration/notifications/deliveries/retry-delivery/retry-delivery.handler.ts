import { ConflictException, NotFoundException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
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
  ) {}

  execute({ tenantId, id }: RetryDelivery): Promise<DeliveryView> {
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
      this.wakeups.afterCommit();
      return deliveryView(row);
    });
  }
}
