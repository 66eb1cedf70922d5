import { Module, OnModuleInit } from '@nestjs/common';
import { PolicyActivated } from '../governance/events/policy-activated.event.js';
import { PolicyDisabled } from '../governance/events/policy-disabled.event.js';
import { IncidentCreated } from '../incidents/events/incident-created.event.js';
import { IncidentResolved } from '../incidents/events/incident-resolved.event.js';
import { KillSwitchChanged } from '../incidents/events/kill-switch-changed.event.js';
import { NotifyBatcher } from '../platform/database/notify-batcher.js';
import { eventTypeOf } from '../platform/outbox/domain-event.js';
import { OutboxPublisher } from '../platform/outbox/outbox.publisher.js';
import { PlatformModule } from '../platform/platform.module.js';
import { cutText } from '../platform/text/cut-text.js';
import { RecoveryRejected } from '../self-healing/events/recovery-rejected.event.js';
import { RecoveryRunProgressed } from '../self-healing/events/recovery-run-progressed.event.js';
import { WorkOrderChanged } from '../self-healing/events/work-order-changed.event.js';
import { IncidentToCatalogBridge } from './bridges/incident-to-catalog/incident-to-catalog.bridge.js';
import { LoopStatusBridge } from './bridges/loop-status/loop-status.bridge.js';
import { PatternToRecoveryBridge } from './bridges/pattern-to-recovery/pattern-to-recovery.bridge.js';
import { PolicyToRoutingBridge } from './bridges/policy-to-routing/policy-to-routing.bridge.js';
import { RecoveryToPolicyBridge } from './bridges/recovery-to-policy/recovery-to-policy.bridge.js';
import { RunOutcomeToTrustBridge } from './bridges/run-outcome-to-trust/run-outcome-to-trust.bridge.js';
import { EvidenceController } from './evidence/evidence.controller.js';
import { GetIncidentEvidenceHandler } from './evidence/get-incident-evidence.handler.js';
import { IncidentDetailController } from './evidence/incident-detail.controller.js';
import { InboxChanges } from './inbox/inbox-changes.js';
import { Inbox } from './inbox/inbox.js';
import { InboxModule } from './inbox/inbox.module.js';
import { LoopHealthService } from './loop-health/loop-health.service.js';
import { LoopProgressHub, TENANT_EVENTS_CHANNEL } from './loop-progress/loop-progress.hub.js';
import { LoopStreamController } from './loop-progress/loop-stream.controller.js';
import { LoopStatsReadModel } from './loop-stats.read-model.js';
import { GetLoopStatusHandler } from './loop-status/get-loop-status.handler.js';
import { LoopOutcomeRecorder } from './loop-status/loop-outcome.recorder.js';
import { LoopTraceRepository } from './loop-status/loop-trace.repository.js';
import { LoopController } from './loop-status/loop.controller.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { GetOutboxDeliveryHandler } from './outbox-deliveries/get-outbox-delivery/get-outbox-delivery.handler.js';
import { ListOutboxDeliveriesHandler } from './outbox-deliveries/list-outbox-deliveries/list-outbox-deliveries.handler.js';
import { OutboxDeliveriesController } from './outbox-deliveries/outbox-deliveries.controller.js';
import { RetryOutboxDeliveryHandler } from './outbox-deliveries/retry-outbox-delivery/retry-outbox-delivery.handler.js';
import { IntegrationStatsController } from './stats/integration-stats.controller.js';
import { IntegrationStatsService } from './stats/integration-stats.service.js';

/**
 * The loop: the five bridges, loop traces, the /integration API (the outbox's deliveries and
 * their retry included) and its live stream, the
 * loop-enriched incident reads (detail, evidence), the inbox, and notifications.
 */
@Module({
  imports: [PlatformModule, InboxModule, NotificationsModule],
  controllers: [
    IncidentDetailController,
    EvidenceController,
    LoopController,
    LoopStreamController,
    IntegrationStatsController,
    OutboxDeliveriesController,
  ],
  providers: [
    IncidentToCatalogBridge,
    PatternToRecoveryBridge,
    RecoveryToPolicyBridge,
    PolicyToRoutingBridge,
    LoopStatusBridge,
    LoopTraceRepository,
    GetLoopStatusHandler,
    LoopOutcomeRecorder,
    LoopProgressHub,
    IntegrationStatsService,
    LoopHealthService,
    LoopStatsReadModel,
    GetIncidentEvidenceHandler,
    RunOutcomeToTrustBridge,
    InboxChanges,
    ListOutboxDeliveriesHandler,
    GetOutboxDeliveryHandler,
    RetryOutboxDeliveryHandler,
  ],
})
export class IntegrationModule implements OnModuleInit {
  constructor(
    private readonly publisher: OutboxPublisher,
    private readonly traces: LoopTraceRepository,
    private readonly notifier: NotifyBatcher,
    private readonly inbox: Inbox,
  ) {}

  onModuleInit(): void {
    // The trace starts in the incident's own transaction: an incident never exists without one.
    this.publisher.onPublishInTransaction(eventTypeOf(IncidentCreated), (event) => {
      const e = event as IncidentCreated;
      return this.traces.start(e.tenantId, e.incidentId, e.createdAt);
    });
    // Work-order news goes to the tenant's live stream once it has committed.
    this.publisher.onPublishInTransaction(eventTypeOf(WorkOrderChanged), async (event) => {
      const { tenantId, ...data } = event as WorkOrderChanged;
      this.notifier.notifyAfterCommit(
        TENANT_EVENTS_CHANNEL,
        JSON.stringify({ tenantId, event: 'work_order_progress', data: { ...data, summary: clip(data.summary) } }),
      );
    });
    // So does every change of a recovery run and its steps.
    this.publisher.onPublishInTransaction(eventTypeOf(RecoveryRunProgressed), async (event) => {
      const { tenantId, ...data } = event as RecoveryRunProgressed;
      this.notifier.notifyAfterCommit(
        TENANT_EVENTS_CHANNEL,
        JSON.stringify({
          tenantId,
          event: 'run_progress',
          data: { ...data, error: clip(data.error), note: clip(data.note) },
        }),
      );
    });
    // Changes that move a tenant's inbox without loop, run or work-order news: its live count reads again.
    for (const event of [PolicyActivated, PolicyDisabled, KillSwitchChanged, IncidentResolved, RecoveryRejected]) {
      this.publisher.onPublishInTransaction(eventTypeOf(event), async (e) => this.inbox.changed(e.tenantId));
    }
  }
}

/**
 * Live messages are notices: a text longer than this is cut (in full in the timeline and the
 * history), so a message fits the 8000 bytes of a NOTIFY even in 3-byte characters.
 */
const LIVE_TEXT_MAX = 500;

function clip<T extends string | null>(text: T): T {
  return (text === null ? text : cutText(text, LIVE_TEXT_MAX)) as T;
}
