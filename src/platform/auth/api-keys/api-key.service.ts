import { Inject, Injectable, Logger, NotFoundException, OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AuditTrail } from '../../audit/audit-trail.js';
import { PromiseCache } from '../../cache/promise-cache.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { NotifyBatcher } from '../../database/notify-batcher.js';
import { PgNotifications } from '../../database/pg-notifications.js';
import { TransactionHost } from '../../database/transaction-host.js';
import type { Principal, Role } from '../principal.js';
import { type ApiKeyView, apiKeyView } from './api-key.view.js';
import { ApiKeysRepository, SUPPLIED_KEY_PREFIX, type KeyRow } from './api-keys.repository.js';

export const DEFAULT_TENANT = 'default';
// Keys are 256 random bits, so a plain SHA-256 is enough; a slow KDF would only slow every request.
/** The API_KEYS_CHANNEL payload of a new key: no existing key changed. */
export const KEY_CREATED = 'created';
const hash = (key: string) => createHash('sha256').update(key).digest('hex');
const newKey = () => `plk_${randomBytes(32).toString('base64url')}`;
// last_used_at is informational; writing it on every request would double the write load.
const TOUCH_EVERY_MS = 60_000;

/** Told on every revocation or change of a key: each replica drops its cache. */
export const API_KEYS_CHANNEL = 'api_keys_changed';
/** Keys kept; the least recently loaded is dropped beyond this. */
const MAX_CACHED_KEYS = 10_000;

/** What the audit log keeps of a key: never its hash or prefix. */
const auditedKey = (r: KeyRow) => ({
  name: r.name,
  role: r.role,
  platformAdmin: r.platform_admin,
  revoked: r.revoked_at !== null,
});

/**
 * API keys. Every request is authenticated, so a known key is looked up once and then served
 * from memory (the KillSwitchCache approach): a revocation drops the cache on every replica
 * through NOTIFY, at once on the replica that revoked, and entries expire after API_KEY_CACHE_MS
 * (1 s) anyway, in case a NOTIFY is missed.
 */
@Injectable()
export class ApiKeyService implements OnModuleInit {
  private readonly logger = new Logger(ApiKeyService.name);
  private readonly touched = new Map<string, number>();
  /** Active keys by hash; only keys that exist are kept (an unknown one may be created a moment later). */
  private readonly cache: PromiseCache<KeyRow | undefined>;
  /** Unknown key hashes, answered 401 without a query for UNKNOWN_KEY_CACHE_MS (guessing must not load the database). */
  private readonly unknown = new Map<string, number>();

  constructor(
    private readonly tx: TransactionHost,
    private readonly keys: ApiKeysRepository,
    private readonly notifications: PgNotifications,
    private readonly notifier: NotifyBatcher,
    private readonly audit: AuditTrail,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.cache = new PromiseCache({
      ttlMs: config.apiKeyCacheMs,
      maxEntries: MAX_CACHED_KEYS,
      keep: (row) => row !== undefined,
    });
  }

  onModuleInit(): void {
    // 'created' only drops the unknown-key entries (a key tried before it existed); anything else
    // (a revocation, '' after a reconnect) drops every cached key.
    this.notifications.on(API_KEYS_CHANNEL, (payload) =>
      payload === KEY_CREATED ? this.unknown.clear() : this.forgetKeys(),
    );
  }

  private forgetKeys(): void {
    this.cache.clear();
    this.unknown.clear();
  }

  async authenticate(key: string): Promise<Principal | null> {
    const row = await this.activeKey(hash(key));
    if (!row) return null;
    const last = this.touched.get(row.id) ?? 0;
    if (Date.now() - last > TOUCH_EVERY_MS) {
      this.touched.set(row.id, Date.now());
      void this.keys.touch(row.id).catch(() => undefined); // informational: a failed write loses nothing
    }
    return {
      keyId: row.id,
      keyName: row.name,
      tenantId: row.tenant_id,
      role: row.role,
      platformAdmin: row.platform_admin,
    };
  }

  /** The key's row while it is not revoked. */
  private async activeKey(keyHash: string): Promise<KeyRow | undefined> {
    const unknownUntil = this.unknown.get(keyHash);
    if (unknownUntil !== undefined && unknownUntil > Date.now()) return undefined;
    const row = await this.cache.get(keyHash, () => this.keys.findActive(keyHash));
    if (!row && this.config.security.unknownKeyCacheMs > 0) {
      this.unknown.delete(keyHash); // re-inserted last: the oldest goes first beyond the cap
      this.unknown.set(keyHash, Date.now() + this.config.security.unknownKeyCacheMs);
      if (this.unknown.size > MAX_CACHED_KEYS) this.unknown.delete(this.unknown.keys().next().value!);
    }
    return row;
  }

  /** After the change commits: this replica forgets its keys at once, the others on the NOTIFY. */
  private keysChanged(): void {
    this.tx.afterCommit(() => this.forgetKeys());
    this.notifier.notifyAfterCommit(API_KEYS_CHANNEL);
  }

  /** A new key changes no cached key: only the unknown-key entries go, here and on every replica. */
  private keyCreated(): void {
    this.tx.afterCommit(() => this.unknown.clear());
    this.notifier.notifyAfterCommit(API_KEYS_CHANNEL, KEY_CREATED);
  }

  /**
   * Creates a key; the plaintext is returned this once and never stored. Recorded in the audit
   * log of the key's tenant (`actor`: who created it).
   */
  async create(
    input: { tenantId: string; name: string; role: Role; platformAdmin: boolean },
    actor: string,
    supplied?: string,
  ): Promise<ApiKeyView & { key: string }> {
    const key = supplied ?? newKey();
    // A generated key's first 8 characters ('plk_' and 4 random ones) tell keys apart at no cost; a
    // supplied key (ADMIN_API_KEY, as short as 16 characters) keeps none of itself in the clear.
    const keyPrefix = supplied === undefined ? key.slice(0, 8) : SUPPLIED_KEY_PREFIX;
    return this.tx.run(async () => {
      const row = await this.keys.insert({ ...input, keyHash: hash(key), keyPrefix });
      await this.audit.record({
        tenantId: row.tenant_id,
        actor,
        action: 'api_key.created',
        subject: { type: 'api_key', id: row.id },
        after: auditedKey(row),
      });
      this.keyCreated(); // a key tried before it existed is in the unknown-key cache
      return { ...apiKeyView(row), key };
    });
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.keys.list()).map(apiKeyView);
  }

  /** Revokes a key (again: nothing changes); recorded in the audit log of the key's tenant. */
  async revoke(id: string, actor: string): Promise<void> {
    await this.tx.run(async () => {
      const before = await this.keys.lock(id);
      if (!before) throw new NotFoundException(`API key ${id} not found`);
      const after = (await this.keys.revoke(id))!;
      if (before.revoked_at === null) {
        await this.audit.record({
          tenantId: after.tenant_id,
          actor,
          action: 'api_key.revoked',
          subject: { type: 'api_key', id },
          before: auditedKey(before),
          after: auditedKey(after),
        });
      }
      this.keysChanged();
    });
  }

  /**
   * ADMIN_API_KEY set: make sure a platform-admin key with that value exists for tenant
   * `default`. Unset and no key at all: generate one into $DATA_DIR/admin-api-key (0600).
   */
  async bootstrap(): Promise<void> {
    await this.tx.run(async () => {
      // Replicas starting together must not both generate a key.
      await this.keys.lockBootstrap();
      if (this.config.adminApiKey) {
        if (!(await this.keys.restoreAdmin(hash(this.config.adminApiKey)))) {
          await this.create(
            { tenantId: DEFAULT_TENANT, name: 'bootstrap admin (ADMIN_API_KEY)', role: 'admin', platformAdmin: true },
            'system',
            this.config.adminApiKey,
          );
        }
        this.keysChanged(); // its role or revocation may have changed
        return;
      }
      if ((await this.keys.count()) > 0) return;
      const created = await this.create(
        { tenantId: DEFAULT_TENANT, name: 'bootstrap admin (generated)', role: 'admin', platformAdmin: true },
        'system',
      );
      const file = path.join(this.config.dataDir, 'admin-api-key');
      await mkdir(this.config.dataDir, { recursive: true });
      await writeFile(file, `${created.key}\n`, { mode: 0o600 });
      await chmod(file, 0o600);
      this.logger.warn(`no API key existed: generated a platform-admin key into ${file}`);
    });
  }
}
