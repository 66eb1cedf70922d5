import type { WeeklyWindow } from '../../../platform/time/weekly-window.js';
import type { Severity } from '../../severities.js';
import type { NotificationEvent } from '../notice.js';

/** Quiet hours as rules state them (DESIGN §12): `from` inclusive, `to` exclusive, local time in `timeZone`. */
export interface QuietHours {
  days: WeeklyWindow['days'];
  from: string;
  to: string;
  timeZone: string;
}

export interface RuleRow {
  tenant_id: string;
  name: string;
  channel: string;
  events: NotificationEvent[];
  min_severity: Severity;
  agents: string[] | null;
  capabilities: string[] | null;
  quiet_hours: QuietHours | null;
  /** bigint: pg hands it over as a string. */
  repeat_interval_ms: string;
  after_ms: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A review waits this long before `review.waiting` tells anyone, unless the rule says otherwise. */
export const DEFAULT_REVIEW_AFTER_MS = 30 * 60_000;

export interface RuleView {
  name: string;
  channel: string;
  events: NotificationEvent[];
  minSeverity: Severity;
  agents: string[] | null;
  capabilities: string[] | null;
  quietHours: QuietHours | null;
  repeatIntervalMs: number;
  /** review.waiting only: how long a review waits before it is told (default 30 minutes). */
  afterMs: number | null;
  createdAt: string;
  updatedAt: string;
}

export const ruleView = (r: RuleRow): RuleView => ({
  name: r.name,
  channel: r.channel,
  events: r.events,
  minSeverity: r.min_severity,
  agents: r.agents,
  capabilities: r.capabilities,
  quietHours: r.quiet_hours,
  repeatIntervalMs: Number(r.repeat_interval_ms),
  afterMs: r.after_ms === null ? null : Number(r.after_ms),
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});
