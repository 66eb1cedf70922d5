/** What notification rules can subscribe to (DESIGN §12). */
export const NOTIFICATION_EVENTS = [
  'run.failed',
  'run.rolled_back',
  'run.rollback_failed',
  'run.timed_out',
  'escalation.created',
  'work_order.failed',
  'review.waiting',
  'degradation.detected',
  'killswitch.changed',
  'audit.verify_failed',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

import type { Severity } from '../severities.js';

/**
 * One thing worth telling people, in words independent of the channel: the Slack and webhook
 * messages are both rendered from it. Stored with each delivery, so a retry sends what the
 * first attempt sent.
 */
export interface Notice {
  event: NotificationEvent | 'test';
  severity: Severity;
  /** One line: "Recovery run failed". */
  title: string;
  /** What happened, in a sentence or two of plain text. */
  summary: string;
  /**
   * What a repeat is a repeat of: a rule sends one message per event and subject key per repeat
   * interval (repeatKey), so a flapping fault (the same pattern failing on the same agent) sends
   * one, not fifty, while other news of it (its rollback failed, it was escalated) still goes out.
   */
  subjectKey: string;
  subject: { type: string; id: string };
  agentId: string | null;
  capability: string | null;
  /**
   * About the whole tenant (its kill switch, its audit log), so about every agent and capability:
   * it passes every agent and capability filter. Otherwise a notice without an agent (or capability)
   * passes no agent (or capability) filter: which it is about is not known.
   */
  tenantWide?: boolean;
  /** Label and value pairs shown as fields. */
  facts: Array<{ label: string; value: string }>;
  /** Console pages, as paths under the service (`/console/runs/<id>`); PUBLIC_URL makes them absolute. */
  links: Array<{ label: string; path: string }>;
  occurredAt: string;
  /** review.waiting: since when it waits (a rule's afterMs is measured from here). */
  waitingSince?: string;
}

/** The repeat gate's key: the same event about the same subject. */
export function repeatKey(notice: Pick<Notice, 'event' | 'subjectKey'>): string {
  return `${notice.event} ${notice.subjectKey}`;
}
