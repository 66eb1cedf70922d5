import { Injectable } from '@nestjs/common';
import { uuidv7 } from '../../../platform/ids/uuid-v7.js';
import { DeliveryRepository } from '../deliveries/delivery.repository.js';
import { DeliveryWakeups } from '../dispatch/delivery-wakeups.js';
import { repeatKey, type Notice, type NotificationEvent } from '../notice.js';
import { quietUntil, ruleTakes } from '../rules/rule-match.js';
import { RuleRepository } from '../rules/rule.repository.js';
import { ruleView, type RuleView } from '../rules/rule.view.js';

/**
 * Turns a notice into deliveries, one per rule of the tenant that takes it, in the caller's
 * transaction (an outbox handler's: the deliveries commit with the event's consumption mark, so
 * an event makes its messages exactly once). A repeat of a subject within the rule's interval is
 * recorded as suppressed (or, for what sweeps find again and again, not at all); quiet hours hold
 * a message until they end. The dispatcher sends them after commit.
 */
@Injectable()
export class NotificationRouter {
  constructor(
    private readonly rules: RuleRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly wakeups: DeliveryWakeups,
  ) {}

  /** The tenant's rules that subscribe to `event`: looked at before a notice is built (most events have none). */
  async rulesFor(tenantId: string, event: NotificationEvent): Promise<RuleView[]> {
    return (await this.rules.forEvent(tenantId, event)).map(ruleView);
  }

  /** Queues `notice` for those of `rules` (the tenant's) that take it; the number queued (held ones included). */
  async route(tenantId: string, notice: Notice, rules: RuleView[], o = { recordSuppressed: true }): Promise<number> {
    const now = new Date();
    let queued = 0;
    for (const rule of rules.filter((r) => ruleTakes(r, notice, now))) {
      const passes = await this.deliveries.passesRepeatGate(
        tenantId,
        rule.name,
        repeatKey(notice),
        rule.repeatIntervalMs,
      );
      if (!passes && !o.recordSuppressed) continue;
      const heldUntil = passes ? quietUntil(rule, now) : null;
      await this.deliveries.insert({
        id: uuidv7(),
        tenantId,
        channel: rule.channel,
        rule: rule.name,
        notice,
        status: !passes ? 'suppressed' : heldUntil ? 'held' : 'pending',
        availableAt: heldUntil,
        note: passes
          ? null
          : `a repeat of ${notice.event} for ${notice.subjectKey} within the rule's repeat interval (${rule.repeatIntervalMs} ms)`,
      });
      if (passes) queued++;
    }
    if (queued > 0) this.wakeups.afterCommit();
    return queued;
  }
}
