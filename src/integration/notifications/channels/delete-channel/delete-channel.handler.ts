import { ConflictException, NotFoundException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../../platform/database/transaction-host.js';
import { DeliveryRepository } from '../../deliveries/delivery.repository.js';
import { RuleRepository } from '../../rules/rule.repository.js';
import { ChannelRepository } from '../channel.repository.js';
import { auditedChannel } from '../channel.view.js';
import { DeleteChannel } from './delete-channel.command.js';

@CommandHandler(DeleteChannel)
export class DeleteChannelHandler implements ICommandHandler<DeleteChannel> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly channels: ChannelRepository,
    private readonly rules: RuleRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ tenantId, name, actor }: DeleteChannel): Promise<void> {
    return this.tx.run(async () => {
      const before = await this.channels.find(tenantId, name);
      if (!before) throw new NotFoundException(`notification channel ${name} not found`);
      const using = await this.rules.namesUsing(tenantId, name);
      if (using.length > 0)
        throw new ConflictException(`rules ${using.join(', ')} send to channel ${name}: change or delete them first`);
      await this.deliveries.abandonChannel(tenantId, name, 'the channel was deleted');
      await this.channels.delete(tenantId, name);
      const subject = { type: 'notification_channel', id: name };
      await this.audit.record({
        tenantId,
        actor,
        action: 'notification_channel.deleted',
        subject,
        before: auditedChannel(before),
      });
    });
  }
}
