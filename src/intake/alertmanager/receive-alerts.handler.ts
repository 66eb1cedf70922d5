import { Logger } from '@nestjs/common';
import { CommandBus, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import {
  FindRecentAlertResolutions,
  type AlertResolution,
} from '../../incidents/find-recent-alert-resolutions/find-recent-alert-resolutions.query.js';
import { FindUnresolvedIncidentByFingerprint } from '../../incidents/find-unresolved-incident-by-fingerprint/find-unresolved-incident-by-fingerprint.query.js';
import { ResolveIncident } from '../../incidents/lifecycle/resolve-incident/resolve-incident.command.js';
import { ReportIncident, type ReportIncidentInput } from '../../incidents/report-incident/report-incident.command.js';
import { lockKey } from '../../platform/database/advisory-lock.js';
import { TransactionHost } from '../../platform/database/transaction-host.js';
import { MetricsService } from '../../platform/metrics/metrics.service.js';
import { cutText } from '../../platform/text/cut-text.js';
import type { IntakeSettings } from '../settings/intake-settings.js';
import { IntakeSettingsRepository } from '../settings/intake-settings.repository.js';
import { labelOf, nameOf, severityOf, type WebhookAlert, type WebhookPayload } from './alertmanager-payload.js';
import { endedBeforeItsFiring, endedUnseen, lateCopyOf, monitoringTime } from './late-alerts.js';
import { ReceiveAlerts, type ReceiveAlertsResult } from './receive-alerts.command.js';
import { UnmatchedResolutionsRepository } from './unmatched-resolutions.repository.js';

const MAX_MESSAGE = 16_384;

/**
 * Firing alerts report incidents through the incidents pillar (which deduplicates by fingerprint:
 * a repeat raises the open incident's repeatCount, no second incident, no second loop);
 * resolved alerts resolve their incident as `monitoring`. One transaction for the whole payload,
 * serialised per tenant, so two deliveries of one new alert cannot both create an incident.
 * Resolutions go first: a payload never carries both states of one fingerprint, and if a sender
 * did, the firing one (the newer news) leaves an open incident.
 *
 * A firing alert that started before its alert's last resolution ended (`startsAt` before that
 * resolved alert's `endsAt`, both monitoring's clock), received within the tenant's
 * `lateCopySeconds` of that resolution, is a late copy: the other member of an HA pair, or a
 * retried notification, delivering what it knew before. It opens nothing and repeats nothing
 * (`stale`); otherwise the incident would wait for a resolution already delivered, the alert's
 * next real firing would only count as its repeat, and a copy arriving after that next firing
 * would count as a repeat of it (failing a run that watches it). Off unless the tenant turns it
 * on: an alert Alertmanager resolved by timeout (Prometheus out of reach longer than the alert's
 * endsAt) that fires on with its old `startsAt` once Prometheus is back is sent at once and looks
 * the same; taken as a copy, that fault would wait for Alertmanager's `repeat_interval`.
 *
 * With the check on, a resolution that finds no unresolved incident is remembered (tenant,
 * fingerprint, its `startsAt` and `endsAt`) for `lateCopySeconds`: an HA pair can deliver an
 * episode's resolution before its firing. A firing that started before such a resolution's `endsAt`
 * is then a late copy too (`stale`, no incident: there is none to name), instead of an incident
 * monitoring would never resolve, onto which the alert's next episodes would be counted as repeats.
 */
@CommandHandler(ReceiveAlerts)
export class ReceiveAlertsHandler implements ICommandHandler<ReceiveAlerts> {
  constructor(
    private readonly tx: TransactionHost,
    private readonly settings: IntakeSettingsRepository,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly metrics: MetricsService,
    private readonly unmatched: UnmatchedResolutionsRepository,
  ) {}

  private readonly logger = new Logger('AlertmanagerIntake');

  async execute({ tenantId, payload, rejected }: ReceiveAlerts): Promise<ReceiveAlertsResult> {
    const taken = await this.tx.run(async () => {
      await lockKey(this.tx, `intake:alertmanager:${tenantId}`);
      const settings = await this.settings.get(tenantId);
      const result: ReceiveAlertsResult = {
        created: 0,
        deduplicated: 0,
        resolved: 0,
        unmatched: 0,
        stale: 0,
        alerts: [],
        rejected: rejected.length,
        truncatedAlerts: payload.truncatedAlerts,
        rejectedAlerts: rejected,
      };
      const ordered = [
        ...payload.alerts.filter((a) => a.status === 'resolved'),
        ...payload.alerts.filter((a) => a.status === 'firing'),
      ];
      const { resolutions, unseenEnds } = await this.lateCopyEvidence(tenantId, payload.alerts, settings);
      const resolvedHere = new Set<string>();
      for (const alert of ordered) {
        const alertname = alert.labels.alertname;
        if (alert.status === 'resolved') {
          resolvedHere.add(alert.fingerprint);
          const open = await this.queries.execute(
            new FindUnresolvedIncidentByFingerprint({ tenantId, fingerprint: alert.fingerprint }),
          );
          if (!open) {
            await this.rememberUnmatched(tenantId, alert, settings);
            result.unmatched++;
            result.alerts.push({ fingerprint: alert.fingerprint, alertname, outcome: 'unmatched', incidentId: null });
            continue;
          }
          if (endedBeforeItsFiring(alert, open)) {
            // The resolution of an earlier firing (an HA peer's late copy): this one still fires.
            result.stale++;
            result.alerts.push({ fingerprint: alert.fingerprint, alertname, outcome: 'stale', incidentId: open.id });
            continue;
          }
          await this.commands.execute(
            new ResolveIncident({
              tenantId,
              incidentId: open.id,
              resolvedBy: 'monitoring',
              alertEndedAt: monitoringTime(alert.endsAt),
              note: `alert ${alertname} resolved${alert.endsAt ? ` at ${alert.endsAt}` : ''}`,
            }),
          );
          result.resolved++;
          result.alerts.push({ fingerprint: alert.fingerprint, alertname, outcome: 'resolved', incidentId: open.id });
          continue;
        }
        if (!resolvedHere.has(alert.fingerprint)) {
          const lateCopy = lateCopyOf(alert, resolutions);
          if (lateCopy || endedUnseen(alert, unseenEnds)) {
            result.stale++;
            result.alerts.push({ fingerprint: alert.fingerprint, alertname, outcome: 'stale', incidentId: lateCopy });
            continue;
          }
        }
        const { incident, deduplicated } = await this.commands.execute(
          new ReportIncident({
            tenantId,
            input: incidentInput(alert, payload, settings),
            idempotencyKey: null,
            origin: { source: 'alertmanager', fingerprint: alert.fingerprint },
            // Alertmanager reads no answer: an odd startsAt is taken as the receipt time.
            occurredAtOutOfBounds: 'receipt-time',
          }),
        );
        const outcome = deduplicated ? 'deduplicated' : 'created';
        result[outcome]++;
        result.alerts.push({ fingerprint: alert.fingerprint, alertname, outcome, incidentId: incident.id });
      }
      return result;
    });
    if (taken.stale > 0) {
      this.metrics.intakeAlertsStale.inc(taken.stale);
      const copies = taken.alerts.filter((a) => a.outcome === 'stale');
      this.logger.log(
        `tenant ${tenantId}: ${copies.length} alerts were older news than their incident, late copies changing nothing (${cutText(copies.map((a) => `${a.alertname} of ${a.incidentId ? `incident ${a.incidentId}` : 'a resolution that came first'}`).join(', '), 300)})`,
      );
    }
    if (rejected.length > 0) {
      // Alertmanager reads no answer: the log and the metric are how an operator hears of them.
      this.metrics.intakeAlertsRejected.inc(rejected.length);
      const fields = rejected.flatMap((r) => r.fields.map((f) => f.field));
      this.logger.warn(
        `tenant ${tenantId}: ${rejected.length} of ${rejected.length + payload.alerts.length} alerts refused (${cutText(fields.join(', '), 300)}), the others taken`,
      );
    }
    if (payload.truncatedAlerts > 0) {
      // Alertmanager dropped them, not this service: the metric and the log are all that tells. At most
      // a million a notification: one odd sender's number must not inflate the counter for good.
      this.metrics.intakeAlertsTruncated.inc(Math.min(payload.truncatedAlerts, 1_000_000));
      this.logger.warn(
        `tenant ${tenantId}: Alertmanager left ${payload.truncatedAlerts} alerts out of group ${cutText(payload.groupKey, 200)} (over its max_alerts; ${payload.alerts.length + rejected.length} sent): raise max_alerts up to INTAKE_MAX_BATCH or group finer`,
      );
    }
    return taken;
  }

  /**
   * What the payload's firing alerts are judged against, within the tenant's `lateCopySeconds`: each
   * one's last resolution by monitoring, and the latest `endsAt` of its resolutions that found no
   * incident (both asked at once); nothing with the check off.
   */
  private async lateCopyEvidence(
    tenantId: string,
    alerts: WebhookAlert[],
    settings: IntakeSettings,
  ): Promise<{ resolutions: Map<string, AlertResolution>; unseenEnds: Map<string, Date> }> {
    const withinMs = settings.alertmanager.lateCopySeconds * 1000;
    if (withinMs === 0) return { resolutions: new Map(), unseenEnds: new Map() };
    const fingerprints = [...new Set(alerts.filter((a) => a.status === 'firing').map((a) => a.fingerprint))];
    const [resolutions, unseenEnds] = await Promise.all([
      this.queries.execute(new FindRecentAlertResolutions({ tenantId, fingerprints, withinMs })),
      this.unmatched.lastEnds(tenantId, fingerprints, withinMs),
    ]);
    return { resolutions, unseenEnds };
  }

  /**
   * With late copies judged, a resolution that found no incident is kept for its firing, should that
   * come after it. Without both of its times it could judge nothing: not kept.
   */
  private async rememberUnmatched(tenantId: string, alert: WebhookAlert, settings: IntakeSettings): Promise<void> {
    if (settings.alertmanager.lateCopySeconds === 0) return;
    const startsAt = monitoringTime(alert.startsAt);
    const endsAt = monitoringTime(alert.endsAt);
    if (startsAt === null || endsAt === null) return;
    await this.unmatched.remember(tenantId, alert.fingerprint, startsAt, endsAt);
  }
}

/** DESIGN §10: errorType from alertname, message from summary/description, agent and capability from the tenant's labels. */
function incidentInput(alert: WebhookAlert, payload: WebhookPayload, settings: IntakeSettings): ReportIncidentInput {
  const { labels, annotations } = alert;
  const alertname = labels.alertname.trim();
  const text = (name: string) =>
    labelOf(annotations, name)?.trim() || labelOf(payload.commonAnnotations, name)?.trim() || '';
  const summary = text('summary');
  const description = text('description');
  const message = [summary, description].filter(Boolean).join(' — ') || `alert ${alertname} is firing`;
  // The first agent label whose value makes an agent id: an empty or unusable one ("***") is skipped.
  const agentId = settings.alertmanager.agentLabels.map((l) => nameOf(labelOf(labels, l))).find((id) => id !== null);
  const startsAt = monitoringTime(alert.startsAt);
  return {
    errorType: alertname,
    message: message.slice(0, MAX_MESSAGE),
    title: `${alertname}: ${summary || message}`.slice(0, 500),
    agentId: agentId ?? undefined,
    capability: nameOf(labelOf(labels, settings.alertmanager.capabilityLabel)) ?? undefined,
    severity: severityOf(labelOf(labels, 'severity')),
    // Alertmanager's zero time (0001-01-01) and unparsable times fall back to now.
    occurredAt: startsAt?.toISOString(),
    context: {
      alert: {
        labels,
        annotations,
        startsAt: alert.startsAt,
        generatorURL: alert.generatorURL || null,
        fingerprint: alert.fingerprint,
      },
      alertmanager: {
        receiver: payload.receiver,
        groupKey: payload.groupKey,
        externalURL: payload.externalURL || null,
      },
    },
  };
}
