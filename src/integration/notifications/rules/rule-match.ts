import { isInsideWindow, windowEnd, type WeeklyWindow } from '../../../platform/time/weekly-window.js';
import { severityRank } from '../../severities.js';
import type { Notice } from '../notice.js';
import { DEFAULT_REVIEW_AFTER_MS, type QuietHours, type RuleView } from './rule.view.js';

/**
 * Whether `rule` wants `notice`: its event, at least its minimum severity, one of its agents and
 * capabilities when it names any (a notice without an agent passes no agent filter), and for
 * review.waiting a review that has waited at least the rule's afterMs.
 */
export function ruleTakes(rule: RuleView, notice: Notice, now: Date): boolean {
  if (notice.event === 'test' || !rule.events.includes(notice.event)) return false;
  if (severityRank(notice.severity) < severityRank(rule.minSeverity)) return false;
  if (rule.agents && (notice.agentId === null || !rule.agents.includes(notice.agentId))) return false;
  if (rule.capabilities && (notice.capability === null || !rule.capabilities.includes(notice.capability))) return false;
  if (notice.event === 'review.waiting') {
    const waitedMs = now.getTime() - Date.parse(notice.waitingSince ?? notice.occurredAt);
    if (waitedMs < (rule.afterMs ?? DEFAULT_REVIEW_AFTER_MS)) return false;
  }
  return true;
}

const windowOf = (q: QuietHours): WeeklyWindow => ({ days: q.days, start: q.from, end: q.to, timeZone: q.timeZone });

/** When quiet hours hold a message sent at `now`: the time they end; null when they do not hold it. */
export function quietUntil(rule: RuleView, now: Date): Date | null {
  if (!rule.quietHours) return null;
  const window = windowOf(rule.quietHours);
  return isInsideWindow(window, now) ? windowEnd(window, now) : null;
}
