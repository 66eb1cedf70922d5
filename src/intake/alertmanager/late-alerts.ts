import type { AlertResolution } from '../../incidents/find-recent-alert-resolutions/find-recent-alert-resolutions.query.js';
import type { IncidentView } from '../../incidents/incident.view.js';
import type { WebhookAlert } from './alertmanager-payload.js';

// Alerts that arrive after the news they carry is out of date: judged by monitoring's own times.

/**
 * The incident of the alert's last resolution when this firing started before the alert ended
 * then: a late copy. An unresolved incident of the alert, if any, was opened after that
 * resolution (one unresolved incident per fingerprint), usually by a firing that started after
 * it; this one is no repeat of it.
 */
export function lateCopyOf(alert: WebhookAlert, resolutions: Map<string, AlertResolution>): string | null {
  const last = resolutions.get(alert.fingerprint);
  const started = monitoringTime(alert.startsAt);
  // Both monitoring's clock, so they compare. An end it did not say, or its zero start time
  // (Grafana's too), is no firing's own time: it judges nothing.
  if (!last?.alertEndedAt || started === null) return null;
  return started < last.alertEndedAt ? last.incidentId : null;
}

/**
 * True when this firing started before the end of a resolution of the alert that found no incident
 * (`ends`: per fingerprint, the latest such `endsAt`): that resolution arrived first, this firing is
 * older news. Its zero start time judges nothing, as in `lateCopyOf`.
 */
export function endedUnseen(alert: WebhookAlert, ends: Map<string, Date>): boolean {
  const ended = ends.get(alert.fingerprint);
  const started = monitoringTime(alert.startsAt);
  return ended !== undefined && started !== null && started < ended;
}

/**
 * A resolved alert that ended before the unresolved incident's firing started (both monitoring's
 * clock): it resolves an earlier firing of the alert, never this one, whatever the window.
 */
export function endedBeforeItsFiring(alert: WebhookAlert, open: Pick<IncidentView, 'context'>): boolean {
  const firing = open.context.alert as { startsAt?: unknown } | undefined;
  const started = monitoringTime(typeof firing?.startsAt === 'string' ? firing.startsAt : undefined);
  const ended = monitoringTime(alert.endsAt);
  return started !== null && ended !== null && ended < started;
}

/** A time of the payload; null for Alertmanager's zero time (0001-01-01), which means "none". */
export function monitoringTime(value: string | undefined): Date | null {
  const at = Date.parse(value ?? '');
  return at > 0 ? new Date(at) : null;
}
