import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../platform/config/config.js';
import { PgNotifications } from '../../platform/database/pg-notifications.js';
import { LoopProgressHub, TENANT_EVENTS_CHANNEL } from '../loop-progress/loop-progress.hub.js';
import { LOOP_PROGRESS_CHANNEL } from '../loop-status/loop-trace.repository.js';
import { INBOX_CHANNEL, Inbox } from './inbox.js';

/** A burst of news about one tenant is read once, this long after its first signal. */
const SETTLE_MS = 250;

/**
 * `inbox_changed` on the tenant's live stream (`/integration/stream`), with the inbox summary,
 * whenever it changed. Every replica hears what may have moved a tenant's inbox through NOTIFY
 * (an assignment or snooze, a policy or kill-switch change, a rejected recovery; loop, run and
 * work-order progress) and, for the tenants with a stream open on it, reads the summary again and
 * sends it if it differs from the last one sent. What no event announces (a snooze ending, a review expiring, a
 * claim lapsing) is found by reading again every INBOX_REFRESH_MS.
 */
@Injectable()
export class InboxChanges implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(InboxChanges.name);
  /** The summary last sent to each streaming tenant, as JSON. */
  private readonly lastSent = new Map<string, string>();
  private readonly settling = new Map<string, NodeJS.Timeout>();
  private refresher: NodeJS.Timeout | null = null;

  constructor(
    private readonly notifications: PgNotifications,
    private readonly hub: LoopProgressHub,
    private readonly inbox: Inbox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.notifications.on(INBOX_CHANNEL, (tenantId) => this.touch(tenantId || null));
    for (const channel of [LOOP_PROGRESS_CHANNEL, TENANT_EVENTS_CHANNEL])
      this.notifications.on(channel, (payload) => this.touch(tenantOf(payload)));
    this.refresher = setInterval(() => this.refresh(), this.config.inboxRefreshMs);
    this.refresher.unref();
  }

  beforeApplicationShutdown(): void {
    if (this.refresher) clearInterval(this.refresher);
    for (const timer of this.settling.values()) clearTimeout(timer);
    this.settling.clear();
  }

  /** `tenantId` null: a reconnect of the listener, when signals may have been missed: every streaming tenant. */
  private touch(tenantId: string | null): void {
    const streaming = this.hub.tenantsStreaming();
    for (const tenant of tenantId === null ? streaming : streaming.filter((t) => t === tenantId)) {
      if (this.settling.has(tenant)) continue;
      const timer = setTimeout(() => void this.send(tenant), SETTLE_MS);
      timer.unref();
      this.settling.set(tenant, timer);
    }
  }

  private refresh(): void {
    const streaming = new Set(this.hub.tenantsStreaming());
    for (const tenant of this.lastSent.keys()) if (!streaming.has(tenant)) this.lastSent.delete(tenant);
    for (const tenant of streaming) this.touch(tenant);
  }

  private async send(tenantId: string): Promise<void> {
    this.settling.delete(tenantId);
    try {
      const summary = await this.inbox.summary(tenantId);
      const json = JSON.stringify(summary);
      if (this.lastSent.get(tenantId) === json) return;
      this.lastSent.set(tenantId, json);
      this.hub.emitTenantEvent(tenantId, 'inbox_changed', summary);
    } catch (err) {
      // The next signal or refresh reads it again.
      this.logger.warn(`reading the inbox of tenant ${tenantId} failed: ${String(err)}`);
    }
  }
}

/** The tenant a loop or tenant-event NOTIFY payload is about; null for an empty one (a reconnect). */
function tenantOf(payload: string): string | null {
  if (!payload) return null;
  try {
    return (JSON.parse(payload) as { tenantId?: string }).tenantId ?? null;
  } catch {
    return null;
  }
}
