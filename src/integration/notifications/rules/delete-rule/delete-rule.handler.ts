import { NotFoundException } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../../platform/database/transaction-host.js';
import { DeliveryRepository } from '../../deliveries/delivery.repository.js';
import { RuleRepository } from '../rule.repository.js';
import { ruleView } from '../rule.view.js';
import { DeleteRule } from './delete-rule.command.js';

@CommandHandler(DeleteRule)
export class DeleteRuleHandler implements ICommandHandler<DeleteRule> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly rules: RuleRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ tenantId, name, actor }: DeleteRule): Promise<void> {
    return this.tx.run(async () => {
      const deleted = await this.rules.delete(tenantId, name);
      if (!deleted) throw new NotFoundException(`notification rule ${name} not found`);
      // What it queued and has not sent (held by quiet hours, waiting for a retry) is not sent.
      await this.deliveries.abandonRule(tenantId, name, 'the rule was deleted');
      const subject = { type: 'notification_rule', id: name };
      await this.audit.record({
        tenantId,
        actor,
        action: 'notification_rule.deleted',
        subject,
        before: ruleView(deleted),
      });
    });
  }
}
