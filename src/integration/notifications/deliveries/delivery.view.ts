import { ApiProperty } from '@nestjs/swagger';
import type { Notice } from '../notice.js';

/**
 * pending: queued or waiting for a retry; held: quiet hours hold it until `nextAttemptAt`;
 * sending: a worker is calling the channel; sent; dead: failed for good (retryable by hand);
 * suppressed: a repeat of a subject within its rule's repeat interval, not sent.
 */
export const DELIVERY_STATUSES = ['pending', 'held', 'sending', 'sent', 'dead', 'suppressed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryRow {
  id: string;
  tenant_id: string;
  channel: string;
  rule: string | null;
  event: string;
  subject_key: string;
  severity: string;
  notice: Notice;
  status: DeliveryStatus;
  attempts: number;
  /** Drawn at each claim: a worker's answer is stored only while its claim is the delivery's latest. */
  claim_token: string | null;
  available_at: Date;
  /**
   * Its place in its channel's line: when queued, or when its quiet hours end (the claim's
   * HEAD_OF_LINE); null on a row an older build wrote, whose `available_at` stands for it.
   */
  queued_at: Date | null;
  last_error: string | null;
  last_status: number | null;
  created_at: Date;
  updated_at: Date;
  sent_at: Date | null;
}

export class DeliverySubject {
  @ApiProperty({ example: 'run' }) type!: string;
  @ApiProperty() id!: string;
}

export class DeliveryView {
  @ApiProperty({ format: 'uuid', description: 'also the webhook-id a webhook channel receives' }) id!: string;
  @ApiProperty() channel!: string;
  @ApiProperty({ type: String, nullable: true, description: 'null: a test message' }) rule!: string | null;
  @ApiProperty({ example: 'run.failed' }) event!: string;
  @ApiProperty() severity!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ type: DeliverySubject }) subject!: DeliverySubject;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status!: DeliveryStatus;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true, description: "the last attempt's error (or why it was suppressed)" })
  error!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: "the channel's HTTP status on the last attempt" })
  lastStatusCode!: number | null;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'pending or held: when it is next tried',
  })
  nextAttemptAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) sentAt!: string | null;
}

export class DeliveryPage {
  @ApiProperty({ type: [DeliveryView] }) items!: DeliveryView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export const deliveryView = (r: DeliveryRow): DeliveryView => ({
  id: r.id,
  channel: r.channel,
  rule: r.rule,
  event: r.event,
  severity: r.severity,
  title: r.notice.title,
  subject: r.notice.subject,
  status: r.status,
  attempts: r.attempts,
  error: r.last_error,
  lastStatusCode: r.last_status,
  nextAttemptAt: r.status === 'pending' || r.status === 'held' ? r.available_at.toISOString() : null,
  createdAt: r.created_at.toISOString(),
  sentAt: r.sent_at?.toISOString() ?? null,
});
