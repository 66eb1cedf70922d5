import { BeforeApplicationShutdown, Injectable, OnModuleInit } from '@nestjs/common';
import { PgNotifications } from '../../platform/database/pg-notifications.js';
import { toLoopStatus, type LoopStatus } from '../loop-status/loop-status.js';
import { LOOP_PROGRESS_CHANNEL, LoopTraceRepository } from '../loop-status/loop-trace.repository.js';

export type ProgressListener = (status: LoopStatus) => void;
/** Tenant-wide news other than loop progress (e.g. work orders): an SSE event name and its data, sent as they come. */
export type TenantEventListener = (event: string, data: unknown) => void;
export const TENANT_EVENTS_CHANNEL = 'tenant_events';

/**
 * Fans loop progress out to this replica's SSE clients. Updates arrive by LISTEN/NOTIFY, so a
 * client on any replica sees every update. Statuses are read only when someone here is
 * listening, and updates that arrive together are read together (one query, the latest
 * status of each loop); reads run one at a time, so a client never gets an older status after
 * a newer one.
 */
@Injectable()
export class LoopProgressHub implements OnModuleInit, BeforeApplicationShutdown {
  private readonly openStreams = new Set<() => void>();
  private readonly byIncident = new Map<string, Set<ProgressListener>>();
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
      if (!payload) return;
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
    for (const close of [...this.openStreams]) close();
  }

  subscribeIncident(incidentId: string, listener: ProgressListener): () => void {
    return add(this.byIncident, incidentId, listener);
  }

  subscribeTenant(tenantId: string, listener: ProgressListener): () => void {
    return add(this.byTenant, tenantId, listener);
  }

  subscribeTenantEvents(tenantId: string, listener: TenantEventListener): () => void {
    return add(this.tenantEvents, tenantId, listener);
  }

  private onNotification(payload: string): void {
    if (!payload) return; // a reconnect: clients keep their last status until the next update
    const { tenantId, incidentId } = JSON.parse(payload) as { tenantId: string; incidentId: string };
    if (!this.byIncident.has(incidentId) && !this.byTenant.has(tenantId)) return;
    this.unread.set(incidentId, tenantId);
    if (!this.reading) {
      this.reading = true;
      // The lines of one NOTIFY are dispatched in one go: read after all of them.
      setImmediate(() => void this.readAndSend());
    }
  }

  private async readAndSend(): Promise<void> {
    try {
      while (this.unread.size > 0) {
        const batch = new Map(this.unread);
        this.unread.clear();
        const traces = await this.traces.findMany([...batch.keys()]).catch(() => []);
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
