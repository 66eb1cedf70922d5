import { ApiProperty } from '@nestjs/swagger';
import { WEEKDAYS, type WeeklyWindow } from '../../../platform/time/weekly-window.js';
import { SEVERITIES, type Severity } from '../../severities.js';
import { NOTIFICATION_EVENTS, type NotificationEvent } from '../notice.js';

/** Quiet hours as rules state them (DESIGN §12): `from` inclusive, `to` exclusive, local time in `timeZone`. */
export class QuietHours {
  @ApiProperty({ type: [String], enum: WEEKDAYS }) days!: WeeklyWindow['days'];
  @ApiProperty({ example: '22:00' }) from!: string;
  @ApiProperty({ example: '07:00' }) to!: string;
  @ApiProperty({ example: 'Europe/Berlin' }) timeZone!: string;
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

export class RuleView {
  @ApiProperty() name!: string;
  @ApiProperty() channel!: string;
  @ApiProperty({ type: [String], enum: NOTIFICATION_EVENTS }) events!: NotificationEvent[];
  @ApiProperty({ enum: SEVERITIES }) minSeverity!: Severity;
  @ApiProperty({ type: [String], nullable: true }) agents!: string[] | null;
  @ApiProperty({ type: [String], nullable: true }) capabilities!: string[] | null;
  @ApiProperty({ type: QuietHours, nullable: true }) quietHours!: QuietHours | null;
  @ApiProperty() repeatIntervalMs!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'review.waiting: how long a review waits before it is told (null: 30 minutes)',
  })
  afterMs!: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class RuleList {
  @ApiProperty({ type: [RuleView] }) items!: RuleView[];
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
