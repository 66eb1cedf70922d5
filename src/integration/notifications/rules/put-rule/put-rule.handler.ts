import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../../platform/audit/audit-trail.js';
import { TransactionHost } from '../../../../platform/database/transaction-host.js';
import { invalidFields } from '../../../../platform/http/validation.js';
import { canonicalTimeZone } from '../../../../platform/time/weekly-window.js';
import { ChannelRepository } from '../../channels/channel.repository.js';
import { DeliveryRepository } from '../../deliveries/delivery.repository.js';
import { DeliveryWakeups } from '../../dispatch/delivery-wakeups.js';
import { quietUntil, ruleWants } from '../rule-match.js';
import { RuleRepository } from '../rule.repository.js';
import { ruleView, type QuietHours, type RuleView } from '../rule.view.js';
import { PutRule } from './put-rule.command.js';

@CommandHandler(PutRule)
export class PutRuleHandler implements ICommandHandler<PutRule> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly rules: RuleRepository,
    private readonly channels: ChannelRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly wakeups: DeliveryWakeups,
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
      if (before) await this.followChange(tenantId, view, !sameQuietHours(before.quiet_hours, view.quietHours));
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

  /**
   * What the rule queued and has not sent (pending, held, or out now) follows the change (ADR 0017): what it
   * now sends to another channel, or no longer takes (events, minSeverity, agents, capabilities),
   * is dead-lettered saying so; what it still takes waits as before, the held ones until its quiet
   * hours as they are now end, or due at once when these no longer hold them.
   */
  private async followChange(tenantId: string, rule: RuleView, quietHoursChanged: boolean): Promise<void> {
    const queued = await this.deliveries.queuedOf(tenantId, rule.name);
    const elsewhere = queued.filter((d) => d.channel !== rule.channel);
    const unwanted = queued.filter((d) => d.channel === rule.channel && !ruleWants(rule, d.notice));
    const held = queued.filter((d) => d.status === 'held' && !elsewhere.includes(d) && !unwanted.includes(d));
    const ids = (ds: typeof queued) => ds.map((d) => d.id);
    await this.deliveries.abandon(
      tenantId,
      ids(elsewhere),
      `the rule was changed: it sends to channel ${rule.channel} now`,
    );
    await this.deliveries.abandon(tenantId, ids(unwanted), 'the rule was changed: it no longer takes this message');
    if (!quietHoursChanged || held.length === 0) return;
    const until = quietUntil(rule, new Date());
    await this.deliveries.holdUntil(tenantId, ids(held), until);
    if (!until) this.wakeups.afterCommit();
  }
}

/** Whether two rules' quiet hours are the same (the stored ones as read back from jsonb). */
function sameQuietHours(a: QuietHours | null, b: QuietHours | null): boolean {
  const key = (q: QuietHours | null) => q && JSON.stringify([q.days, q.from, q.to, q.timeZone]);
  return key(a) === key(b);
}
