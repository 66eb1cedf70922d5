import { EventsHandler, QueryBus, type IEventHandler } from '@nestjs/cqrs';
import { KillSwitchChanged } from '../../../incidents/events/kill-switch-changed.event.js';
import { GetIncident } from '../../../incidents/get-incident/get-incident.query.js';
import type { IncidentView } from '../../../incidents/incident.view.js';
import { DegradationDetected } from '../../../intake/events/degradation-detected.event.js';
import { AuditVerificationFailed } from '../../../platform/audit/audit-verification-failed.event.js';
import { currentDelivery } from '../../../platform/outbox/delivery-context.js';
import { OutboxHandler } from '../../../platform/outbox/outbox-handler.decorator.js';
import { RecoveryRunFinished } from '../../../self-healing/events/recovery-run-finished.event.js';
import { WorkOrderChanged } from '../../../self-healing/events/work-order-changed.event.js';
import type { Notice, NotificationEvent } from '../notice.js';
import {
  auditNotice,
  degradationNotice,
  killSwitchNotice,
  runEventOf,
  runNotice,
  workOrderEventOf,
  workOrderNotice,
} from '../notices/notices.js';
import { NotificationRouter } from './notification-router.js';

type Notified =
  RecoveryRunFinished | WorkOrderChanged | DegradationDetected | KillSwitchChanged | AuditVerificationFailed;

/**
 * Every pillar's news that notification rules can subscribe to, as durable outbox deliveries: a
 * notice's messages are queued in the transaction that consumes its event, so each event makes
 * them exactly once (DESIGN §3). Events no rule of the tenant wants cost one indexed read.
 */
@EventsHandler(RecoveryRunFinished, WorkOrderChanged, DegradationDetected, KillSwitchChanged, AuditVerificationFailed)
// No delivery for what no rule can subscribe to (a run that succeeded, a work order's progress).
@OutboxHandler({ name: 'integration.notifications', takes: (e: Notified) => eventOf(e) !== null })
export class NotifyOnEventsHandler implements IEventHandler<Notified> {
  constructor(
    private readonly router: NotificationRouter,
    private readonly queries: QueryBus,
  ) {}

  async handle(e: Notified): Promise<void> {
    const event = eventOf(e);
    if (event === null) return; // a delivery stored before `takes` was there
    const rules = await this.router.rulesFor(e.tenantId, event);
    if (rules.length === 0) return;
    await this.router.route(e.tenantId, await this.noticeOf(e, event), rules);
  }

  private async noticeOf(e: Notified, event: NotificationEvent): Promise<Notice> {
    // When the event was stored: none of these carries its own time.
    const at = (currentDelivery()?.created_at ?? new Date()).toISOString();
    if (e instanceof RecoveryRunFinished) return runNotice(e, event, await this.incident(e.tenantId, e.incidentId), at);
    if (e instanceof AuditVerificationFailed) return auditNotice(e, at);
    if (e instanceof WorkOrderChanged) return workOrderNotice(e, event, await this.incident(e.tenantId, e.incidentId));
    if (e instanceof DegradationDetected) return degradationNotice(e);
    return killSwitchNotice(e);
  }

  private incident(tenantId: string, incidentId: string | null): Promise<IncidentView | null> {
    return incidentId ? this.queries.execute(new GetIncident({ tenantId, incidentId })) : Promise.resolve(null);
  }
}

function eventOf(e: Notified): NotificationEvent | null {
  if (e instanceof RecoveryRunFinished) return runEventOf(e);
  if (e instanceof WorkOrderChanged) return workOrderEventOf(e);
  if (e instanceof DegradationDetected) return 'degradation.detected';
  if (e instanceof AuditVerificationFailed) return 'audit.verify_failed';
  return 'killswitch.changed';
}
