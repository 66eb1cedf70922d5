import { Injectable, OnModuleInit } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TransactionHost } from '../database/transaction-host.js';
import { OutboxRelay, type DeliveryOutcome } from '../outbox/outbox.relay.js';
import { OutboxRepository } from '../outbox/outbox.repository.js';

/** Prometheus metrics: HTTP latency, outbox depth and age, deliveries by outcome. */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  /** Recovery runs' calls to tenants' actuators, by outcome (succeeded, failed, accepted, retryable). */
  readonly actuatorCallDuration = new Histogram({
    name: 'actuator_call_duration_seconds',
    help: 'Actuator webhook call latency',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  /** Recovery runs entering each state (a run counts once per state it reaches). */
  readonly recoveryRuns = new Counter({
    name: 'recovery_runs_total',
    help: 'Recovery runs by the state they entered',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  /** Recovery steps entering each state, by the kind they ran as. */
  readonly recoverySteps = new Counter({
    name: 'recovery_steps_total',
    help: 'Recovery steps by the state they entered',
    labelNames: ['kind', 'status'] as const,
    registers: [this.registry],
  });
  /** Notification delivery attempts, by channel type and outcome (sent, retry, dead). */
  readonly notificationDeliveries = new Counter({
    name: 'notification_deliveries_total',
    help: 'Notification delivery attempts by outcome',
    labelNames: ['channel_type', 'outcome'] as const,
    registers: [this.registry],
  });
  /** Alerts of Alertmanager's (or Grafana's) payloads refused on their own; the rest of each payload was taken. */
  readonly intakeAlertsRejected = new Counter({
    name: 'intake_alerts_rejected_total',
    help: 'Alerts refused as not of the webhook payload shape (the others of their payload taken)',
    registers: [this.registry],
  });
  /**
   * Alerts Alertmanager left out of its notifications (`truncatedAlerts`: a group larger than the
   * webhook's `max_alerts`). Counted per notification: a group truncated on every flush counts again.
   */
  readonly intakeAlertsTruncated = new Counter({
    name: 'intake_alerts_truncated_total',
    help: "Alerts Alertmanager left out of its notifications (truncatedAlerts, over the webhook's max_alerts); they never reached the intake",
    registers: [this.registry],
  });
  /** Alerts taken as late copies, older news than their incident: nothing changed. */
  readonly intakeAlertsStale = new Counter({
    name: 'intake_alerts_stale_total',
    help: 'Alerts older than their incident, nothing changed: a firing that started before its alert last ended (lateCopySeconds), or a resolution of an earlier firing',
    registers: [this.registry],
  });
  private readonly handled = new Counter({
    name: 'outbox_events_handled_total',
    help: 'Outbox deliveries handled',
    labelNames: ['event_type', 'handler'] as const,
    registers: [this.registry],
  });
  private readonly failed = new Counter({
    name: 'outbox_events_failed_total',
    help: 'Outbox delivery attempts that failed',
    labelNames: ['event_type', 'handler'] as const,
    registers: [this.registry],
  });
  private readonly dead = new Counter({
    name: 'outbox_events_dead_lettered_total',
    help: 'Outbox deliveries dead-lettered',
    labelNames: ['event_type', 'handler'] as const,
    registers: [this.registry],
  });
  private readonly held = new Counter({
    name: 'outbox_events_held_total',
    help: 'Outbox deliveries held by a disabled flag',
    labelNames: ['event_type', 'handler'] as const,
    registers: [this.registry],
  });

  constructor(
    private readonly relay: OutboxRelay,
    private readonly store: OutboxRepository,
    private readonly tx: TransactionHost,
  ) {
    collectDefaultMetrics({ register: this.registry });
    const outbox = this.store;
    const oldest = new Gauge({
      name: 'outbox_oldest_due_age_seconds',
      help: 'Age of the oldest delivery that is due',
      registers: [this.registry],
    });
    new Gauge({
      name: 'outbox_depth',
      help: 'Outbox deliveries not yet done, by status',
      labelNames: ['status'] as const,
      registers: [this.registry],
      // Depth and age come from one query at scrape time.
      async collect() {
        const d = await outbox.depth();
        this.set({ status: 'due' }, d.due);
        this.set({ status: 'pending' }, d.pending);
        this.set({ status: 'held' }, d.held);
        this.set({ status: 'dead' }, d.dead);
        oldest.set(d.oldestDueAgeSeconds);
      },
    });
  }

  onModuleInit(): void {
    // Counted once the outcome's transaction commits: a batch that rolls back and runs again tells again.
    this.relay.onOutcome((o) => this.tx.afterCommit(() => this.count(o)));
  }

  private count(o: DeliveryOutcome): void {
    const labels = { event_type: o.delivery.event_type, handler: o.delivery.handler };
    if (o.kind === 'handled') this.handled.inc(labels);
    else if (o.kind === 'held') this.held.inc(labels);
    else {
      this.failed.inc(labels);
      if (o.kind === 'dead') this.dead.inc(labels);
    }
  }
}
