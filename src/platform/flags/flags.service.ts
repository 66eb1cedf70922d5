import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.js';
import { PromiseCache } from '../cache/promise-cache.js';
import { APP_CONFIG, FLAG_NAMES, type AppConfig, type FlagName } from '../config/config.js';
import { NotifyBatcher } from '../database/notify-batcher.js';
import { PgNotifications } from '../database/pg-notifications.js';
import { TransactionHost } from '../database/transaction-host.js';
import type { FlagView } from './flag.view.js';
import { FlagsRepository, type FlagRow } from './flags.repository.js';

export const FLAGS_CHANNEL = 'feature_flags';
const GLOBAL = '';
/** Who changed a global flag, as other tenants see it: the admin's key name is their own tenant's business. */
const PLATFORM_ADMIN = 'a platform admin';
// Flags are read on every outbox delivery; this bounds staleness if a NOTIFY is ever missed.
const CACHE_TTL_MS = 1000;

/** Per-bridge feature flags: env defaults, global overrides, tenant overrides, with history. */
@Injectable()
export class FlagsService implements OnModuleInit {
  private readonly cache = new PromiseCache<FlagRow[]>({ ttlMs: CACHE_TTL_MS, maxEntries: 10_000 });
  private readonly changeListeners = new Set<() => void>();

  constructor(
    private readonly tx: TransactionHost,
    private readonly flags: FlagsRepository,
    private readonly notifications: PgNotifications,
    private readonly notifier: NotifyBatcher,
    private readonly audit: AuditTrail,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.notifications.on(FLAGS_CHANNEL, () => {
      this.cache.clear();
      for (const listener of this.changeListeners) listener();
    });
  }

  /** Called (on every replica) after any flag changed anywhere. */
  onChange(listener: () => void): void {
    this.changeListeners.add(listener);
  }

  private rows(tenantId: string): Promise<FlagRow[]> {
    return this.cache.get(tenantId, () => this.flags.rowsOf(tenantId));
  }

  async list(tenantId: string): Promise<FlagView[]> {
    const rows = await this.rows(tenantId);
    return FLAG_NAMES.map((name) => {
      const global = rows.find((r) => r.name === name && r.tenant_id === GLOBAL);
      const tenant = tenantId === GLOBAL ? undefined : rows.find((r) => r.name === name && r.tenant_id === tenantId);
      const globalEnabled = global ? global.enabled : this.config.flagDefaults[name];
      const latest = tenant ?? global;
      return {
        name,
        enabled: tenant ? tenant.enabled : globalEnabled,
        globalEnabled,
        globalSource: global ? 'override' : 'default',
        tenantOverride: tenant ? tenant.enabled : null,
        updatedAt: latest ? latest.updated_at.toISOString() : null,
        updatedBy: latest ? this.actorFor(tenantId, latest.tenant_id, latest.updated_by) : null,
      };
    });
  }

  /** A bridge runs only when both the whole loop and its own flag are on. */
  async isBridgeEnabled(tenantId: string, name: FlagName): Promise<boolean> {
    const flags = await this.list(tenantId);
    const on = (n: FlagName) => flags.find((f) => f.name === n)!.enabled;
    return on('integration_loop') && on(name);
  }

  /**
   * Sets a flag (tenantId '' = global) and records the change (its history, and the audit log of
   * `auditTenantId`: the flag's tenant, or for a global flag the platform admin's own); tells every
   * replica on commit.
   */
  async set(
    name: FlagName,
    enabled: boolean,
    tenantId: string,
    actor: string,
    auditTenantId = tenantId,
  ): Promise<void> {
    await this.tx.run(async () => {
      const old = await this.flags.set(name, enabled, tenantId, actor);
      if (old !== enabled) {
        const scope = tenantId === GLOBAL ? 'global' : 'tenant';
        await this.audit.record({
          tenantId: auditTenantId,
          actor,
          action: 'flag.changed',
          subject: { type: 'flag', id: name },
          before: { scope, enabled: old },
          after: { scope, enabled },
        });
      }
      this.notifier.notifyAfterCommit(FLAGS_CHANNEL, name);
    });
    this.cache.clear();
  }

  /** A global change's actor is named only in the audit log of the platform admin's own tenant. */
  private actorFor(viewer: string, rowTenant: string, actor: string): string {
    return rowTenant === GLOBAL && viewer !== GLOBAL ? PLATFORM_ADMIN : actor;
  }

  async history(tenantId: string, limit = 50): Promise<Array<Record<string, unknown>>> {
    const rows = await this.flags.history(tenantId, limit);
    return rows.map((r) => ({
      name: r.name,
      scope: r.tenant_id === GLOBAL ? 'global' : 'tenant',
      oldEnabled: r.old_enabled,
      newEnabled: r.new_enabled,
      changedBy: this.actorFor(tenantId, r.tenant_id, r.changed_by),
      changedAt: r.changed_at.toISOString(),
    }));
  }
}
