import { isInsideWindow, windowEnd, type WeeklyWindow } from '../../../platform/time/weekly-window.js';
import { severityRank } from '../../severities.js';
import type { Notice } from '../notice.js';
import { DEFAULT_REVIEW_AFTER_MS, type QuietHours, type RuleView } from './rule.view.js';

/**
 * Whether `rule` takes `notice`: its event, at least its minimum severity, one of its agents and
 * capabilities when it names any, and for review.waiting a review that has waited at least the
 * rule's afterMs. A notice about the whole tenant (`tenantWide`: its kill switch, its audit log)
 * concerns every agent and capability, and passes both filters; any other without an agent (a
 * review group of several agents) passes no agent filter, nor one without a capability a
 * capability filter (an agent's kill switch: which capabilities it stops is not known here).
 */
export function ruleTakes(rule: RuleView, notice: Notice, now: Date): boolean {
  if (!ruleWants(rule, notice)) return false;
  if (notice.event === 'review.waiting') {
    const waitedMs = now.getTime() - Date.parse(notice.waitingSince ?? notice.occurredAt);
    if (waitedMs < (rule.afterMs ?? DEFAULT_REVIEW_AFTER_MS)) return false;
  }
  return true;
}

/**
 * Whether `rule` wants `notice` as ruleTakes judges it, leaving out how long a review has waited:
 * what a rule changed since it queued a message judges that message by (a review already told of
 * has waited long enough when it was told, and its repeat mark keeps the sweep from telling it again).
 */
export function ruleWants(rule: RuleView, notice: Notice): boolean {
  if (notice.event === 'test' || !rule.events.includes(notice.event)) return false;
  if (severityRank(notice.severity) < severityRank(rule.minSeverity)) return false;
  const wide = notice.tenantWide === true;
  if (rule.agents && !wide && (notice.agentId === null || !rule.agents.includes(notice.agentId))) return false;
  if (rule.capabilities && !wide && (notice.capability === null || !rule.capabilities.includes(notice.capability)))
    return false;
  return true;
}

const windowOf = (q: QuietHours): WeeklyWindow => ({ days: q.days, start: q.from, end: q.to, timeZone: q.timeZone });

/** When quiet hours hold a message sent at `now`: the time they end; null when they do not hold it. */
export function quietUntil(rule: RuleView, now: Date): Date | null {
  if (!rule.quietHours) return null;
  const window = windowOf(rule.quietHours);
  return isInsideWindow(window, now) ? windowEnd(window, now) : null;
}
