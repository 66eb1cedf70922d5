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

export interface ReceiveAlertsProps {
  tenantId: string;
  payload: WebhookPayload;
}

/** Turns one webhook payload into incidents, repeats and resolutions, all in one transaction. */
export interface ReceiveAlerts extends ReceiveAlertsProps {}
export class ReceiveAlerts extends Command<ReceiveAlertsResult> {
  constructor(props: ReceiveAlertsProps) {
    super();
    Object.assign(this, props);
  }
}
