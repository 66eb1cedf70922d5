import { Injectable, OnModuleInit } from '@nestjs/common';
import { PromiseCache } from '../../platform/cache/promise-cache.js';
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
  private readonly cache = new PromiseCache<KillSwitchState>({
    ttlMs: KILLSWITCH_CACHE_TTL_MS,
    maxEntries: MAX_TENANTS,
  });

  constructor(
    private readonly repository: KillSwitchRepository,
    private readonly notifications: PgNotifications,
  ) {}

  onModuleInit(): void {
    this.notifications.on(KILLSWITCH_CHANNEL, (tenantId) => this.invalidate(tenantId || null));
  }

  get(tenantId: string): Promise<KillSwitchState> {
    return this.cache.get(tenantId, async () => {
      const rows = await this.repository.activeOutside(tenantId);
      return {
        tenantActive: rows.some((r) => r.agent_id === TENANT_WIDE),
        blockedAgents: rows.filter((r) => r.agent_id !== TENANT_WIDE).map((r) => r.agent_id),
      };
    });
  }

  /** Drops one tenant's entry (null: every tenant's). */
  invalidate(tenantId: string | null): void {
    if (tenantId === null) this.cache.clear();
    else this.cache.delete(tenantId);
  }
}
