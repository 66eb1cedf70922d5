import { BeforeApplicationShutdown, Injectable, OnModuleInit } from '@nestjs/common';
import { PgNotifications } from '../../platform/database/pg-notifications.js';
import { toLoopStatus, type LoopStatus } from '../loop-status/loop-status.js';
import { LOOP_PROGRESS_CHANNEL, LoopTraceRepository } from '../loop-status/loop-trace.repository.js';

export type ProgressListener = (status: LoopStatus) => void;

/**
 * Fans loop progress out to this replica's SSE clients. Updates arrive by LISTEN/NOTIFY, so a
 * client on any replica sees every update; the status is read once per update, and only when
 * someone here is listening.
 */
@Injectable()
export class LoopProgressHub implements OnModuleInit, BeforeApplicationShutdown {
  private readonly openStreams = new Set<() => void>();
  private readonly byIncident = new Map<string, Set<ProgressListener>>();
  private readonly byTenant = new Map<string, Set<ProgressListener>>();

  constructor(
    private readonly notifications: PgNotifications,
    private readonly traces: LoopTraceRepository,
  ) {}

  onModuleInit(): void {
    this.notifications.on(LOOP_PROGRESS_CHANNEL, (payload) => void this.onNotification(payload));
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

  private async onNotification(payload: string): Promise<void> {
    if (!payload) return; // a reconnect: clients keep their last status until the next update
    const { tenantId, incidentId } = JSON.parse(payload) as { tenantId: string; incidentId: string };
    const listeners = [...(this.byIncident.get(incidentId) ?? []), ...(this.byTenant.get(tenantId) ?? [])];
    if (listeners.length === 0) return;
    const trace = await this.traces.find(tenantId, incidentId).catch(() => null);
    if (!trace) return;
    const status = toLoopStatus(trace);
    for (const listener of listeners) listener(status);
  }
}

function add(map: Map<string, Set<ProgressListener>>, key: string, listener: ProgressListener): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0) map.delete(key);
  };
}
