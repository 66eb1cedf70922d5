import { Command } from '@nestjs/cqrs';
import type { WebhookPayload } from './alertmanager-payload.js';
import type { RejectedAlert } from './read-webhook-payload.js';

export type AlertOutcome = 'created' | 'deduplicated' | 'resolved' | 'unmatched' | 'stale';

/** `POST /intake/alertmanager`'s answer: what each alert did, counted. */
export interface ReceiveAlertsResult {
  created: number;
  deduplicated: number;
  resolved: number;
  /** Resolved alerts with no unresolved incident (already resolved, or never seen). */
  unmatched: number;
  /**
   * Older news than the incident holds, nothing changed: a firing that started before the alert last
   * ended (with lateCopySeconds; also by a resolution that came before it and found no incident, whose
   * `incidentId` is then null), or a resolution that ended before the unresolved incident's firing began.
   */
  stale: number;
  alerts: Array<{ fingerprint: string; alertname: string; outcome: AlertOutcome; incidentId: string | null }>;
  /** Alerts not of Alertmanager's shape, refused on their own (the payload's other alerts were taken). */
  rejected: number;
  /**
   * The payload's `truncatedAlerts`: alerts of the group Alertmanager left out (over the webhook's
   * `max_alerts`); they were never sent, so nothing here took them.
   */
  truncatedAlerts: number;
  rejectedAlerts: RejectedAlert[];
}

export interface ReceiveAlertsProps {
  tenantId: string;
  payload: WebhookPayload;
  /** The payload's alerts refused before it came here, reported in the answer. */
  rejected: RejectedAlert[];
}

/** Turns one webhook payload into incidents, repeats and resolutions, all in one transaction. */
export interface ReceiveAlerts extends ReceiveAlertsProps {}
export class ReceiveAlerts extends Command<ReceiveAlertsResult> {
  constructor(props: ReceiveAlertsProps) {
    super();
    Object.assign(this, props);
  }
}
