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
  available_at: Date;
  last_error: string | null;
  last_status: number | null;
  created_at: Date;
  updated_at: Date;
  sent_at: Date | null;
}

export interface DeliveryView {
  id: string;
  channel: string;
  /** null: a test message. */
  rule: string | null;
  event: string;
  severity: string;
  title: string;
  subject: { type: string; id: string };
  status: DeliveryStatus;
  attempts: number;
  /** The last attempt's error (or why it was suppressed); null when none. */
  error: string | null;
  /** The channel's HTTP status on the last attempt; null before one, or when there was no answer. */
  lastStatusCode: number | null;
  /** pending or held: when it is next tried. */
  nextAttemptAt: string | null;
  createdAt: string;
  sentAt: string | null;
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
