import { Command } from '@nestjs/cqrs';
import type { WebhookPayload } from './alertmanager-payload.js';

export type AlertOutcome = 'created' | 'deduplicated' | 'resolved' | 'unmatched';

/** `POST /intake/alertmanager`'s answer: what each alert did, counted. */
export interface ReceiveAlertsResult {
  created: number;
  deduplicated: number;
  resolved: number;
  /** Resolved alerts with no unresolved incident (already resolved, or never seen). */
  unmatched: number;
  alerts: Array<{ fingerprint: string; alertname: string; outcome: AlertOutcome; incidentId: string | null }>;
}

/** Turns one webhook payload into incidents, repeats and resolutions, all in one transaction. */
export class ReceiveAlerts extends Command<ReceiveAlertsResult> {
  readonly tenantId: string;
  readonly payload: WebhookPayload;

  constructor(props: { tenantId: string; payload: WebhookPayload }) {
    super();
    this.tenantId = props.tenantId;
    this.payload = props.payload;
  }
}
