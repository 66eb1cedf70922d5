import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { SecretBox } from '../../../platform/crypto/secret-box.js';
import { signWebhook } from '../../../platform/crypto/webhook-signature.js';
import { PgNotifications } from '../../../platform/database/pg-notifications.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import { CallCutOff, Egress, EgressFailure, type OutboundRequest } from '../../../platform/egress/egress.js';
import { secretRedactor, urlQueryCredentials } from '../../../platform/egress/redact-secrets.js';
import { retryDelayMs } from '../../../platform/egress/retry-after.js';
import { MetricsService } from '../../../platform/metrics/metrics.service.js';
import { DuePump } from '../../../platform/workers/due-pump.js';
import { TenantHolds } from '../../../platform/workers/tenant-holds.js';
import { DeliveryRepository, type ClaimedDelivery } from '../deliveries/delivery.repository.js';
import type { DeliveryStatus } from '../deliveries/delivery.view.js';
import { slackMessage, webhookMessage } from './channel-messages.js';
import { attemptOutcome, type AttemptOutcome } from './delivery-outcome.js';
import { DeliveryWakeups } from './delivery-wakeups.js';

/** A claim's lease beyond the channel's own timeout: then a crashed worker's delivery is sent again. */
const LEASE_MARGIN_MS = 10_000;
/** A channel's answer is read up to this many bytes (only its first words are kept, in an error). */
const MAX_ANSWER_BYTES = 4096;
/** How soon a claim looks again at a channel whose first message in line another transaction holds. */
const LOCKED_HEAD_RETRY_MS = 50;

/**
 * Sends queued notification deliveries (DESIGN §12). Due deliveries are claimed one per channel,
 * in the order they were queued (a message waiting for its retry holds back the channel's later
 * ones; DeliveryRepository's HEAD_OF_LINE), in a short transaction of their own (`FOR UPDATE SKIP
 * LOCKED`, so replicas share the work and a channel sends one message at a time); the HTTP call
 * is made through the egress rule with no connection or transaction held; a second short
 * transaction records how it went, if the claim still holds. Retries back off exponentially, never sooner than a Retry-After, which also pauses
 * the whole channel; after NOTIFICATION_MAX_ATTEMPTS, or at once when retrying cannot help, the
 * delivery is dead-lettered. A crash mid-call repeats the call with the same `webhook-id`.
 * Calls are waiting, not work: NOTIFICATION_CONCURRENCY of them at once, at most
 * NOTIFICATION_TENANT_CONCURRENCY of one tenant, so a tenant whose channels hang for their whole
 * timeout holds its own share and delays nobody else's news.
 */
@Injectable()
export class NotificationDispatcher implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(NotificationDispatcher.name);
  private readonly pump: DuePump<ClaimedDelivery>;
  /** Deliveries this replica holds, by tenant (NOTIFICATION_TENANT_CONCURRENCY caps each). */
  private readonly held: TenantHolds;
  private readonly cutOff = new CallCutOff();

  constructor(
    private readonly tx: TransactionHost,
    private readonly deliveries: DeliveryRepository,
    private readonly wakeups: DeliveryWakeups,
    private readonly notifications: PgNotifications,
    private readonly box: SecretBox,
    private readonly egress: Egress,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.held = new TenantHolds(config.notifications.tenantConcurrency);
    const { concurrency } = config.notifications;
    const options = {
      what: 'notification deliveries',
      concurrency,
      pollMs: config.outbox.pollIntervalMs,
      isOpen: () => tx.isOpen,
      logger: this.logger,
      // A channel's first message in line locked by a rule's change holds back its channel (ADR 0017).
      lockedDueRetryMs: LOCKED_HEAD_RETRY_MS,
    };
    this.pump = new DuePump(options, {
      claim: (limit) => this.claim(limit),
      work: (delivery) => this.deliver(delivery).finally(() => this.held.release(delivery.tenant_id)),
      // A tenant at its cap has nothing this replica can claim: not waited for (or the pump would spin on it).
      msUntilNextDue: () => this.deliveries.msUntilNextDue(this.held.tenantsAtCap()),
      // Claimed while stopping: not sent, given back for the next replica (or this one's next start).
      release: (claimed) => {
        for (const d of claimed) this.held.release(d.tenant_id);
        return this.giveBack(claimed);
      },
    });
  }

  onApplicationBootstrap(): void {
    if (!this.config.outbox.relayEnabled) return; // an HTTP-only replica leaves sending to the others
    this.pump.start(this.wakeups, this.notifications);
  }

  /** Claims nothing more from the moment the app begins to stop, as the run engine (whose module stops first). */
  onModuleDestroy(): void {
    this.pump.stop().catch(() => undefined); // awaited, and any failure seen, in beforeApplicationShutdown
  }

  /**
   * Calls in flight finish and are recorded, but those still out after SHUTDOWN_TIMEOUT_MS are cut
   * off and given back, as is what a claim still under way gets (giveBack).
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.cutOff.until(this.pump.stop(), this.egress.stopDeadline(this.config.shutdownTimeoutMs));
  }

  private async claim(limit: number): Promise<ClaimedDelivery[]> {
    const { tenantConcurrency } = this.config.notifications;
    const claimed = await this.deliveries.claim(limit, LEASE_MARGIN_MS, tenantConcurrency, this.held);
    for (const d of claimed) this.held.hold(d.tenant_id);
    return claimed;
  }

  private async giveBack(claimed: ClaimedDelivery[]): Promise<void> {
    if (claimed.length === 0 || !this.tx.isOpen) return;
    await this.deliveries
      .release(claimed)
      .catch((err) =>
        this.logger.warn(`giving back notification deliveries failed (due once their lease lapses): ${String(err)}`),
      );
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const started = Date.now();
    const outcome = await this.attempt(d);
    // Due at once for the next replica, its attempt not counted; the receiver dedupes by webhook-id.
    if (outcome.interrupted) return this.giveBack([d]);
    const { maxAttempts, retryBaseMs, retryMaxMs, slackIntervalMs } = this.config.notifications;
    const status =
      outcome.kind === 'sent' ? 'sent' : outcome.kind === 'retry' && d.attempts < maxAttempts ? 'pending' : 'dead';
    const retryInMs =
      status === 'pending' ? retryDelayMs(d.attempts, outcome.retryAfterMs, retryBaseMs, retryMaxMs) : 0;
    // A Retry-After is about the channel, not the message: nothing goes to it before then.
    const channelPauseMs = outcome.retryAfterMs ?? (d.type === 'slack' ? slackIntervalMs : 0);
    let stored: DeliveryStatus | null = status;
    try {
      stored = await this.tx.run(() =>
        this.deliveries.settle(
          { id: d.id, tenantId: d.tenant_id, channel: d.channel, claimToken: d.claim_token },
          { status, retryInMs, error: outcome.error, httpStatus: outcome.httpStatus },
          channelPauseMs,
        ),
      );
      if (stored === null)
        this.logger.warn(
          `notification delivery ${d.id}: its claim lapsed during the call (the lease ran out, or it was ` +
            'dead-lettered and retried); its new claim sends it',
        );
    } catch (err) {
      // Not recorded: the lease lapses and the delivery is sent again, with the same webhook-id.
      this.logger.error(`recording notification delivery ${d.id} failed: ${String(err)}`);
    }
    // What was stored (a delivery dead-lettered with its channel or rule during the call stays dead unless sent).
    const counted = stored ?? status;
    this.metrics.notificationDeliveries.inc({
      channel_type: d.type,
      outcome: counted === 'pending' ? 'retry' : counted,
    });
    if (status === 'dead')
      this.logger.warn(
        `notification delivery ${d.id} to channel ${d.channel} dead-lettered after ${d.attempts} attempt(s), ` +
          `${Date.now() - started} ms: ${outcome.error}`,
      );
  }

  /** One call to the channel; never throws. */
  private async attempt(
    d: ClaimedDelivery,
  ): Promise<AttemptOutcome & { httpStatus: number | null; interrupted?: boolean }> {
    let url: string;
    let request: OutboundRequest;
    let sealed: string[];
    try {
      url = this.box.open(d.url_sealed);
      request = this.request(d);
      // The sealed URL (a Slack URL's path is its credential; a webhook's query may hold a token) and
      // signing secret, echoed in an error page ("Cannot POST /services/…"), must not reach the
      // delivery viewers read, nor the log (ADR 0013).
      const { pathname, search } = new URL(url);
      sealed = [
        url,
        pathname + search,
        ...urlQueryCredentials(url),
        ...(d.secret_sealed ? [this.box.open(d.secret_sealed)] : []),
      ];
    } catch {
      return {
        kind: 'dead',
        retryAfterMs: null,
        httpStatus: null,
        error:
          "the channel's sealed URL or secret cannot be opened (was SECRETS_KEY changed?): PUT the channel again " +
          '(a webhook channel gets a new signing secret, in the answer)',
      };
    }
    try {
      const answer = await this.egress.send(url, request);
      const retryAfter = answer.headers['retry-after'];
      // The sealed parts are cut from the answer (with what the size limit left of one at its end)
      // before its first words are taken, and from the error made of them.
      const redact = secretRedactor(sealed);
      const outcome = attemptOutcome(
        answer.status,
        typeof retryAfter === 'string' ? retryAfter : null,
        redact.answer(answer),
      );
      return {
        ...outcome,
        error: redact(outcome.error),
        httpStatus: answer.status,
      };
    } catch (err) {
      // Worded without host, port or address (ADR 0013); refused by the egress rule: a retry changes nothing.
      const failure = err instanceof EgressFailure ? err : new EgressFailure('network', 'network error');
      return {
        kind: failure.kind === 'refused' ? 'dead' : 'retry',
        retryAfterMs: null,
        httpStatus: null,
        error: failure.message,
        interrupted: failure.kind === 'interrupted',
      };
    }
  }

  private request(d: ClaimedDelivery): OutboundRequest {
    const base = {
      method: 'POST',
      timeoutMs: d.timeout_ms,
      maxAnswerBytes: MAX_ANSWER_BYTES,
      cutOff: this.cutOff.signal,
    };
    const headers = { 'content-type': 'application/json', 'user-agent': 'pillar-loop-notifications/1' };
    if (d.type === 'slack')
      return { ...base, headers, body: JSON.stringify(slackMessage(d.notice, this.config.publicUrl)) };
    // Standard Webhooks, signed as actuator calls are; the delivery id is the receiver's idempotency key.
    const body = JSON.stringify(webhookMessage(d.notice, d.id, this.config.publicUrl));
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signWebhook(this.box.open(d.secret_sealed!), d.id, timestamp, body);
    return {
      ...base,
      body,
      headers: {
        ...headers,
        'webhook-id': d.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signature,
      },
    };
  }
}
