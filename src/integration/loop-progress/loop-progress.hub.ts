import { BeforeApplicationShutdown, Injectable, OnModuleInit } from '@nestjs/common';
import { PgNotifications } from '../../platform/database/pg-notifications.js';
import { toLoopStatus, type LoopStatus } from '../loop-status/loop-status.js';
import { LOOP_PROGRESS_CHANNEL, LoopTraceRepository } from '../loop-status/loop-trace.repository.js';

export type ProgressListener = (status: LoopStatus) => void;
/** Tenant-wide news other than loop progress (e.g. work orders): an SSE event name and its data, sent as they come. */
export type TenantEventListener = (event: string, data: unknown) => void;
export const TENANT_EVENTS_CHANNEL = 'tenant_events';

/** After a failed read of statuses, the next try this much later. */
const READ_RETRY_MS = 1000;

/**
 * Fans loop progress out to this replica's SSE clients. Updates arrive by LISTEN/NOTIFY, so a
 * client on any replica sees every update. Statuses are read only when someone here is
 * listening, and updates that arrive together are read together (one query, the latest
 * status of each loop); reads run one at a time, so a client never gets an older status after
 * a newer one. A read that fails is tried again. Notifications sent while the LISTEN connection
 * was down are lost: then every incident followed here is read again, and tenant streams, whose
 * news cannot be read again here, are told (`onMissed`: they end, and their clients reconnect and
 * read what they missed).
 */
@Injectable()
export class LoopProgressHub implements OnModuleInit, BeforeApplicationShutdown {
  private readonly openStreams = new Set<() => void>();
  private readonly byIncident = new Map<string, Set<ProgressListener>>();
  /** The tenant of each incident followed here (what a read after a reconnect checks its trace against). */
  private readonly incidentTenant = new Map<string, string>();
  private readonly missed = new Set<() => void>();
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly byTenant = new Map<string, Set<ProgressListener>>();
  private readonly tenantEvents = new Map<string, Set<TenantEventListener>>();
  /** Loops with news not yet read: incident id → tenant id. */
  private readonly unread = new Map<string, string>();
  private reading = false;

  constructor(
    private readonly notifications: PgNotifications,
    private readonly traces: LoopTraceRepository,
  ) {}

  onModuleInit(): void {
    this.notifications.on(LOOP_PROGRESS_CHANNEL, (payload) => void this.onNotification(payload));
    this.notifications.on(TENANT_EVENTS_CHANNEL, (payload) => {
      if (!payload) {
        // A reconnect: what was sent meanwhile is lost.
        for (const missed of [...this.missed]) missed();
        return;
      }
      const { tenantId, event, data } = JSON.parse(payload) as { tenantId: string; event: string; data: unknown };
      this.emitTenantEvent(tenantId, event, data);
    });
  }

  /** Tells this replica's subscribers of the tenant's stream (the callers fan out across replicas themselves). */
  emitTenantEvent(tenantId: string, event: string, data: unknown): void {
    for (const listener of [...(this.tenantEvents.get(tenantId) ?? [])]) listener(event, data);
  }

  /** The tenants with a stream open on this replica. */
  tenantsStreaming(): string[] {
    return [...this.tenantEvents.keys()];
  }

  /** The tenant's `/integration/stream` streams open on this replica (a browser's console tabs share one). */
  tenantStreamCount(tenantId: string): number {
    return this.tenantEvents.get(tenantId)?.size ?? 0;
  }

  /** Streams still open when the app shuts down are ended, or the HTTP server would wait on them forever. */
  trackStream(close: () => void): () => void {
    this.openStreams.add(close);
    return () => this.openStreams.delete(close);
  }

  beforeApplicationShutdown(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const close of [...this.openStreams]) close();
  }

  subscribeIncident(tenantId: string, incidentId: string, listener: ProgressListener): () => void {
    this.incidentTenant.set(incidentId, tenantId);
    const unsubscribe = add(this.byIncident, incidentId, listener);
    return () => {
      unsubscribe();
      if (!this.byIncident.has(incidentId)) this.incidentTenant.delete(incidentId);
    };
  }

  /** `missed` is called when news of the tenant streams may have been lost (the LISTEN connection was down). */
  onMissed(missed: () => void): () => void {
    this.missed.add(missed);
    return () => this.missed.delete(missed);
  }

  subscribeTenant(tenantId: string, listener: ProgressListener): () => void {
    return add(this.byTenant, tenantId, listener);
  }

  subscribeTenantEvents(tenantId: string, listener: TenantEventListener): () => void {
    return add(this.tenantEvents, tenantId, listener);
  }

  private onNotification(payload: string): void {
    if (!payload) {
      // A reconnect: every incident followed here is read again (its stream may have missed the end of its loop).
      for (const [incidentId, tenantId] of this.incidentTenant) this.unread.set(incidentId, tenantId);
    } else {
      const { tenantId, incidentId } = JSON.parse(payload) as { tenantId: string; incidentId: string };
      if (!this.byIncident.has(incidentId) && !this.byTenant.has(tenantId)) return;
      this.unread.set(incidentId, tenantId);
    }
    // The lines of one NOTIFY are dispatched in one go: read after all of them.
    this.readSoon(0);
  }

  private readSoon(delayMs: number): void {
    if (this.reading || this.retryTimer || this.unread.size === 0) return;
    if (delayMs === 0) {
      this.reading = true;
      setImmediate(() => void this.readAndSend());
      return;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.readSoon(0);
    }, delayMs).unref();
  }

  private async readAndSend(): Promise<void> {
    let failed = false;
    try {
      while (this.unread.size > 0) {
        const batch = new Map(this.unread);
        this.unread.clear();
        const traces = await this.traces.findMany([...batch.keys()]).catch(() => null);
        if (!traces) {
          // Kept to be read again, unless nobody listens for it any more (or newer news came meanwhile).
          for (const [incidentId, tenantId] of batch)
            if (!this.unread.has(incidentId) && (this.byIncident.has(incidentId) || this.byTenant.has(tenantId)))
              this.unread.set(incidentId, tenantId);
          failed = true;
          break;
        }
        const byId = new Map(traces.map((t) => [t.incident_id, t]));
        for (const [incidentId, tenantId] of batch) {
          const trace = byId.get(incidentId);
          if (!trace || trace.tenant_id !== tenantId) continue;
          const status = toLoopStatus(trace);
          for (const listener of [...(this.byIncident.get(incidentId) ?? []), ...(this.byTenant.get(tenantId) ?? [])])
            listener(status);
        }
      }
    } finally {
      this.reading = false;
      this.readSoon(failed ? READ_RETRY_MS : 0);
    }
  }
}

function add<L>(map: Map<string, Set<L>>, key: string, listener: L): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0) map.delete(key);
  };
}
