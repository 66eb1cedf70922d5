import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/config.js';
import { TransactionHost } from '../../../platform/database/transaction-host.js';
import type { WaitingItem } from '../../inbox/inbox-items.js';
import { WaitingItems, type WaitingPositions } from '../../inbox/waiting-items.js';
import { DeliveryRepository } from '../deliveries/delivery.repository.js';
import { reviewNotice } from '../notices/notices.js';
import { RuleRepository } from '../rules/rule.repository.js';
import { DEFAULT_REVIEW_AFTER_MS, ruleView, type RuleView } from '../rules/rule.view.js';
import { NotificationRouter } from './notification-router.js';

/** A repeat interval of 0 on review.waiting: told once per review (a sweep would otherwise tell it every time). */
const ONCE_MS = 100 * 365 * 24 * 3_600_000;
/** What review.waiting tells of: recoveries awaiting review, and those a guardrail held (a paused run is no review). */
const KINDS = ['review', 'guardrail_hold'] as const;
const isReview = (item: WaitingItem) => item.subject.type !== 'run';

/**
 * review.waiting has no event: a review simply keeps waiting. Every NOTIFICATION_SWEEP_MS, for
 * the tenants with a rule on it, this looks at the recoveries awaiting review (and those a
 * guardrail held) that have waited the shortest afterMs of the tenant's rules, the longest
 * waiting first, and queues a message for each that has waited its rule's afterMs; the repeat
 * gate makes that once per review per repeat interval. A sweep reads one page of each kind
 * (LIMIT_PER_KIND) and the next goes on from where it stopped, back to the longest waiting once
 * a page reaches the newest: however many wait, each is looked at within a few sweeps (the
 * inbox's newest 500 would leave out those that waited longest). A review that stops waiting
 * (its group emptied, its incidents resolved) is forgotten, so it is told again when it waits
 * again: what was told is asked for by id, however much else waits. Repeats found again by the
 * next sweep are not recorded. Old deliveries are pruned on a slower schedule (DeliveryPruner).
 * Safe on several replicas: the repeat gate lets one message per review through.
 */
@Injectable()
export class ReviewWaitingSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ReviewWaitingSweeper.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  /** Where each tenant's next sweep goes on reading what has waited long enough. */
  private readonly positions = new Map<string, WaitingPositions>();

  constructor(
    private readonly tx: TransactionHost,
    private readonly rules: RuleRepository,
    private readonly waiting: WaitingItems,
    private readonly router: NotificationRouter,
    private readonly deliveries: DeliveryRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.outbox.relayEnabled) return;
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => (this.running = null));
    }, this.config.notifications.sweepMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One sweep; the number of messages queued. Never throws. */
  async sweep(): Promise<number> {
    let queued = 0;
    try {
      const byTenant = new Map<string, RuleView[]>();
      for (const row of await this.rules.everyForEvent('review.waiting'))
        byTenant.set(row.tenant_id, [...(byTenant.get(row.tenant_id) ?? []), ruleView(row)]);
      for (const tenantId of this.positions.keys()) if (!byTenant.has(tenantId)) this.positions.delete(tenantId);
      for (const [tenantId, rules] of byTenant) {
        const lookedAt = Date.now();
        // What was told, and which of it still waits, asked by id: however much else waits (a review
        // group past the newest 500 of a guardrail storm too), to forget what no longer waits.
        const told = await this.deliveries.repeatSubjects(tenantId, 'review.waiting');
        const still = new Set((await this.waiting.among(tenantId, told)).map((item) => item.id));
        // What has waited long enough for one of the rules, from where the last sweep stopped.
        const afterMs = Math.min(...rules.map((r) => r.afterMs ?? DEFAULT_REVIEW_AFTER_MS));
        const due = await this.waiting.longestWaiting(tenantId, KINDS, afterMs, this.positions.get(tenantId));
        const at = new Date().toISOString();
        const reviews = due.items.filter(isReview);
        await this.tx.run(async () => {
          // Routed by the rules as they are now, locked until the messages commit (ADR 0017).
          const current = reviews.length === 0 ? [] : await this.router.rulesFor(tenantId, 'review.waiting');
          const once = current.map((rule) => ({ ...rule, repeatIntervalMs: rule.repeatIntervalMs || ONCE_MS }));
          for (const item of reviews)
            queued += await this.router.route(tenantId, reviewNotice(item, at), once, { recordSuppressed: false });
          // A review that no longer waits forgets it was told: a pattern's group that empties and fills
          // again is news.
          const gone = told.filter((subject) => !still.has(subject));
          await this.deliveries.forgetRepeats(tenantId, 'review.waiting', gone, Date.now() - lookedAt);
        });
        this.positions.set(tenantId, due.next);
      }
    } catch (err) {
      this.logger.warn(`looking for reviews that wait failed: ${String(err)}`);
    }
    return queued;
  }
}
