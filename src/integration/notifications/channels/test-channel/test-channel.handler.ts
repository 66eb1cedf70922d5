import { NotFoundException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { TransactionHost } from '../../../../platform/database/transaction-host.js';
import { uuidv7 } from '../../../../platform/ids/uuid-v7.js';
import { DeliveryRepository } from '../../deliveries/delivery.repository.js';
import { deliveryView, type DeliveryView } from '../../deliveries/delivery.view.js';
import { DeliveryWakeups } from '../../dispatch/delivery-wakeups.js';
import { ChannelRepository } from '../channel.repository.js';
import { TestChannel } from './test-channel.command.js';

@CommandHandler(TestChannel)
export class TestChannelHandler implements ICommandHandler<TestChannel> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly channels: ChannelRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly wakeups: DeliveryWakeups,
  ) {}

  execute({ tenantId, name, actor }: TestChannel): Promise<DeliveryView> {
    return this.tx.run(async () => {
      const channel = await this.channels.find(tenantId, name);
      if (!channel) throw new NotFoundException(`notification channel ${name} not found`);
      const id = uuidv7();
      const row = await this.deliveries.insert({
        id,
        tenantId,
        channel: name,
        rule: null,
        notice: {
          event: 'test',
          severity: 'low',
          title: 'Test message from pillar-loop',
          summary: `${actor} sent this to check channel ${name}: messages from pillar-loop reach it.`,
          subjectKey: `test:${id}`,
          subject: { type: 'channel', id: name },
          agentId: null,
          capability: null,
          facts: [{ label: 'Channel', value: `${name} (${channel.type})` }],
          links: [{ label: 'Open console', path: '/console/' }],
          occurredAt: new Date().toISOString(),
        },
        status: 'pending',
        availableAt: null,
        note: null,
      });
      this.wakeups.afterCommit();
      return deliveryView(row);
    });
  }
}
