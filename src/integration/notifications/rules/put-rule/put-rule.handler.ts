import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../../platform/database/transaction-host.js';
import { invalidFields } from '../../../../platform/http/validation.js';
import { canonicalTimeZone } from '../../../../platform/time/weekly-window.js';
import { ChannelRepository } from '../../channels/channel.repository.js';
import { RuleRepository } from '../rule.repository.js';
import { ruleView, type RuleView } from '../rule.view.js';
import { PutRule } from './put-rule.command.js';

@CommandHandler(PutRule)
export class PutRuleHandler implements ICommandHandler<PutRule> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly rules: RuleRepository,
    private readonly channels: ChannelRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ tenantId, name, rule, actor }: PutRule): Promise<{ rule: RuleView; created: boolean }> {
    if (rule.afterMs !== undefined && !rule.events.includes('review.waiting')) {
      throw invalidFields([
        { field: 'afterMs', errors: ['afterMs applies to review.waiting only: add it to events or leave afterMs out'] },
      ]);
    }
    return this.tx.run(async () => {
      if (!(await this.channels.find(tenantId, rule.channel))) {
        throw invalidFields([
          {
            field: 'channel',
            errors: [`channel ${rule.channel} does not exist: PUT /notifications/channels/${rule.channel} first`],
          },
        ]);
      }
      const before = await this.rules.find(tenantId, name);
      const { row, created } = await this.rules.upsert({
        tenantId,
        name,
        channel: rule.channel,
        events: rule.events,
        minSeverity: rule.minSeverity ?? 'low',
        agents: rule.agents ?? null,
        capabilities: rule.capabilities ?? null,
        quietHours: rule.quietHours
          ? { ...rule.quietHours, timeZone: canonicalTimeZone(rule.quietHours.timeZone) }
          : null,
        repeatIntervalMs: rule.repeatIntervalMs,
        afterMs: rule.afterMs ?? null,
      });
      const view = ruleView(row);
      await this.audit.record({
        tenantId,
        actor,
        action: created ? 'notification_rule.created' : 'notification_rule.updated',
        subject: { type: 'notification_rule', id: name },
        before: before && ruleView(before),
        after: view,
      });
      return { rule: view, created };
    });
  }
}
