import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.js';
import { PromiseCache } from '../cache/promise-cache.js';
import { APP_CONFIG, FLAG_NAMES, type AppConfig, type FlagName } from '../config/config.js';
import { NotifyBatcher } from '../database/notify-batcher.js';
import { PgNotifications } from '../database/pg-notifications.js';
import { TransactionHost } from '../database/transaction-host.js';

export const FLAGS_CHANNEL = 'feature_flags';
const GLOBAL = '';
// Flags are read on every outbox delivery; this bounds staleness if a NOTIFY is ever missed.
const CACHE_TTL_MS = 1000;

export interface FlagView {
  name: FlagName;
  /** What applies to the caller's tenant: tenant override, else global value, else env default. */
  enabled: boolean;
  globalEnabled: boolean;
  globalSource: 'default' | 'override';
  tenantOverride: boolean | null;
  updatedAt: string | null;
  updatedBy: string | null;
}

interface FlagRow {
  name: FlagName;
  tenant_id: string;
  enabled: boolean;
  updated_by: string;
  updated_at: Date;
}

/** Per-bridge feature flags: env defaults, global overrides, tenant overrides, with history. */
@Injectable()
export class FlagsService implements OnModuleInit {
  private readonly cache = new PromiseCache<FlagRow[]>({ ttlMs: CACHE_TTL_MS, maxEntries: 10_000 });
  private readonly changeListeners = new Set<() => void>();

  constructor(
    private readonly tx: TransactionHost,
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
    return this.cache.get(tenantId, () =>
      this.tx.queryOutside<FlagRow>(`SELECT name, tenant_id, enabled, updated_by, updated_at FROM feature_flags WHERE tenant_id IN ('', $1)`, [tenantId]),
    );
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
        updatedBy: latest ? latest.updated_by : null,
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
      const [old] = await this.tx.query<{ enabled: boolean }>(
        `SELECT enabled FROM feature_flags WHERE name = $1 AND tenant_id = $2 FOR UPDATE`,
        [name, tenantId],
      );
      await this.tx.query(
        `INSERT INTO feature_flags (name, tenant_id, enabled, updated_by, updated_at) VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (name, tenant_id) DO UPDATE SET enabled = EXCLUDED.enabled, updated_by = EXCLUDED.updated_by, updated_at = now()`,
        [name, tenantId, enabled, actor],
      );
      await this.tx.query(
        `INSERT INTO feature_flag_changes (name, tenant_id, old_enabled, new_enabled, changed_by) VALUES ($1, $2, $3, $4, $5)`,
        [name, tenantId, old ? old.enabled : null, enabled, actor],
      );
      if (old?.enabled !== enabled) {
        const scope = tenantId === GLOBAL ? 'global' : 'tenant';
        await this.audit.record({
          tenantId: auditTenantId,
          actor,
          action: 'flag.changed',
          subject: { type: 'flag', id: name },
          before: { scope, enabled: old ? old.enabled : null },
          after: { scope, enabled },
        });
      }
      this.notifier.notifyAfterCommit(FLAGS_CHANNEL, name);
    });
    this.cache.clear();
  }

  async history(tenantId: string, limit = 50): Promise<Array<Record<string, unknown>>> {
    const rows = await this.tx.query<{
      name: string; tenant_id: string; old_enabled: boolean | null; new_enabled: boolean; changed_by: string; changed_at: Date;
    }>(
      `SELECT name, tenant_id, old_enabled, new_enabled, changed_by, changed_at FROM feature_flag_changes
       WHERE tenant_id IN ('', $1) ORDER BY id DESC LIMIT $2`,
      [tenantId, limit],
    );
    return rows.map((r) => ({
      name: r.name,
      scope: r.tenant_id === GLOBAL ? 'global' : 'tenant',
      oldEnabled: r.old_enabled,
      newEnabled: r.new_enabled,
      changedBy: r.changed_by,
      changedAt: r.changed_at.toISOString(),
    }));
  }
}
