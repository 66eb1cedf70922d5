import { Injectable, OnModuleInit } from '@nestjs/common';
import { PgNotifications } from '../../platform/database/pg-notifications.js';
import type { KillSwitchState } from './get-killswitch-state.query.js';
import { KILLSWITCH_CHANNEL, KillSwitchRepository } from './killswitch.repository.js';
import { TENANT_WIDE } from './killswitch.view.js';

// Safety net if a NOTIFY is ever missed (e.g. while the LISTEN connection reconnects).
export const KILLSWITCH_CACHE_TTL_MS = 1000;
/** Tenants kept; the least recently loaded is dropped beyond this. */
const MAX_TENANTS = 10_000;

/**
 * Per-tenant kill switch state, cached in memory on each replica (the FlagsService approach):
 * dropped when `killswitch_changed` arrives for the tenant (every replica LISTENs), wholly
 * after a LISTEN reconnect (empty payload), and otherwise after 1 s. The promise is cached,
 * so concurrent readers share one query; a load in flight when a change commits is dropped too.
 */
@Injectable()
export class KillSwitchCache implements OnModuleInit {
  private readonly cache = new Map<string, { at: number; state: Promise<KillSwitchState> }>();

  constructor(
    private readonly repository: KillSwitchRepository,
    private readonly notifications: PgNotifications,
  ) {}

  onModuleInit(): void {
    this.notifications.on(KILLSWITCH_CHANNEL, (tenantId) => this.invalidate(tenantId || null));
  }

  get(tenantId: string): Promise<KillSwitchState> {
    const hit = this.cache.get(tenantId);
    if (hit && Date.now() - hit.at < KILLSWITCH_CACHE_TTL_MS) return hit.state;
    const state = this.repository.activeOutside(tenantId).then((rows) => ({
      tenantActive: rows.some((r) => r.agent_id === TENANT_WIDE),
      blockedAgents: rows.filter((r) => r.agent_id !== TENANT_WIDE).map((r) => r.agent_id),
    }));
    const entry = { at: Date.now(), state };
    state.catch(() => {
      if (this.cache.get(tenantId) === entry) this.cache.delete(tenantId);
    });
    this.cache.delete(tenantId); // re-inserted last: the map stays in load order
    this.cache.set(tenantId, entry);
    if (this.cache.size > MAX_TENANTS) this.cache.delete(this.cache.keys().next().value!);
    return state;
  }

  /** Drops one tenant's entry (null: every tenant's). */
  invalidate(tenantId: string | null): void {
    if (tenantId === null) this.cache.clear();
    else this.cache.delete(tenantId);
  }
}
