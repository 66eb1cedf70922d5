import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { PromiseCache } from '../../../platform/cache/promise-cache.js';
import { PgNotifications } from '../../../platform/database/pg-notifications.js';
import { ALL_TENANTS, PoliciesRepository, POLICIES_CHANGED_CHANNEL } from '../policies.repository.js';
import { PolicyEngine, type EngineResult, type PolicyIndex, type PolicyRequest } from './policy-engine.js';

/** Safety net if a NOTIFY is ever missed: an index older than this is refreshed (in the background). */
export const POLICY_INDEX_TTL_MS = 5_000;
/** Indexes kept in memory; the least recently loaded tenant is dropped beyond this. */
const MAX_TENANTS = 1_000;
/** One log line per (policy, error) per this period; a broken condition must not flood the log. */
const ERROR_LOG_INTERVAL_MS = 60_000;

/**
 * The in-process policy decision point: one compiled index per tenant, loaded lazily,
 * dropped on every replica when `policies_changed` is notified (the writers notify in their
 * transaction, so it arrives after commit) and by the writer's own replica right after its
 * commit, and refreshed after a short TTL in case a notification was missed.
 */
@Injectable()
export class PolicyDecisionPoint implements OnModuleInit {
  private readonly logger = new Logger('PolicyEngine');
  // Stale but usable for one more TTL: served while one refresh runs in the background. Older (a missed
  // notification on a quiet tenant), a decision waits for the refresh rather than apply an index of any age.
  private readonly indexes = new PromiseCache<PolicyIndex>({
    ttlMs: POLICY_INDEX_TTL_MS,
    maxEntries: MAX_TENANTS,
    serveStaleMs: POLICY_INDEX_TTL_MS,
  });
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();
  readonly engine = new PolicyEngine();

  constructor(
    private readonly policies: PoliciesRepository,
    private readonly notifications: PgNotifications,
  ) {}

  onModuleInit(): void {
    // '' comes after a reconnect (notifications may have been missed): drop everything.
    this.notifications.on(POLICIES_CHANGED_CHANNEL, (tenantId) => {
      if (tenantId === '' || tenantId === ALL_TENANTS) this.invalidateAll();
      else this.invalidate(tenantId);
    });
  }

  /** Drops the tenant's index; the next evaluation reloads it. */
  invalidate(tenantId: string): void {
    this.indexes.delete(tenantId);
  }

  invalidateAll(): void {
    this.indexes.clear();
  }

  /** After a policy write committed on this replica (others hear the NOTIFY). */
  changed(tenantId: string, global: boolean): void {
    if (global) this.invalidateAll();
    else this.invalidate(tenantId);
  }

  indexFor(tenantId: string): Promise<PolicyIndex> {
    return this.indexes.get(tenantId, () => this.build(tenantId));
  }

  /** Evaluates a request against the tenant's current index; conditions that error are logged and skipped. */
  async evaluate(request: PolicyRequest): Promise<EngineResult> {
    const index = await this.indexFor(request.tenantId);
    const result = this.engine.evaluate(index, request);
    if (result.errors.length > 0) this.logErrors(request.tenantId, result.errors);
    return result;
  }

  private async build(tenantId: string): Promise<PolicyIndex> {
    const rows = await this.policies.loadForIndex(tenantId);
    const index = this.engine.buildIndex(
      tenantId,
      rows.map((r) => ({
        id: r.id,
        tenantId: r.tenant_id,
        action: r.action,
        scope: r.scope,
        scopeAgentId: r.scope_agent_id,
        condition: r.condition,
        status: r.status,
      })),
    );
    for (const { policyId, error } of index.invalid) {
      this.logThrottled(
        `compile:${policyId}`,
        `policy ${policyId} is skipped: its condition does not compile (${error})`,
      );
    }
    return index;
  }

  private logErrors(tenantId: string, errors: EngineResult['errors']): void {
    for (const { policyId, error } of errors) {
      this.logThrottled(
        `${policyId}:${error}`,
        `policy ${policyId} (tenant ${tenantId}) skipped: its condition failed to evaluate: ${error}`,
      );
    }
  }

  private logThrottled(key: string, message: string): void {
    const now = Date.now();
    const last = this.lastLogged.get(key);
    if (last && now - last.at < ERROR_LOG_INTERVAL_MS) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.lastLogged.set(key, { at: now, suppressed: 0 });
    if (this.lastLogged.size > 10_000) this.lastLogged.delete(this.lastLogged.keys().next().value!);
    this.logger.warn(suppressed > 0 ? `${message} (${suppressed} more since the last report)` : message);
  }
}
