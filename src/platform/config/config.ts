import { isIP } from 'node:net';
import path from 'node:path';
import { parsePublicKey, parseSigningKey } from '../audit/signing/audit-signing-key.js';
import { parseNetworks, type Network } from '../egress/networks.js';
import { MAX_BODY_ENTRIES } from '../http/input-guard.js';

/** Validated run-time configuration. Every field comes from one environment variable (see README). */
export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  /** Unset: an embedded PostgreSQL is started under `dataDir/pg`. */
  databaseUrl: string | null;
  /** How long the start waits for DATABASE_URL's server to answer (DATABASE_CONNECT_TIMEOUT_S; 0: one attempt). */
  databaseConnectTimeoutS: number;
  embeddedPgPort: number;
  /** As root: where the embedded server's binaries and data go when user `postgres` cannot reach the checkout's or DATA_DIR. */
  embeddedPgHome: string;
  dbPoolSize: number;
  adminApiKey: string | null;
  /** How long a replica serves a known API key from memory before asking the database again. */
  apiKeyCacheMs: number;
  /** How long a console sign-in session lasts (SESSION_TTL_MS). */
  sessionTtlMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** An `Idempotency-Key` older than this is forgotten: its next use creates a new resource (IDEMPOTENCY_KEY_TTL_HOURS). */
  idempotencyKeyTtlHours: number;
  outbox: {
    /** Batches in flight per handler on this replica. */
    concurrency: number;
    /** Deliveries claimed and handled in one transaction. */
    batchSize: number;
    maxAttempts: number;
    leaseMs: number;
    pollIntervalMs: number;
    /** How often the relay releases held deliveries whose flag is on (besides at start and on a flag change). */
    heldSweepMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
    retentionHours: number;
    /** Run the relay in this process (false: this replica only serves HTTP). */
    relayEnabled: boolean;
    /** POST /incidents answers 429 while more deliveries than this are pending (0: never). */
    backlogLimit: number;
  };
  flagDefaults: Record<FlagName, boolean>;
  matchThreshold: number;
  draftAdjustmentTtlMs: number;
  sseHeartbeatMs: number;
  shutdownTimeoutMs: number;
  /** 32-byte key for secrets at rest (actuator signing secrets); null: one generated into dataDir. */
  secretsKey: Buffer | null;
  /** Recoveries waiting for review longer than this become `expired`; 0: never. */
  /** PLAYBOOK_CATALOG_PATH: a catalog to use instead of the shipped config/playbooks.json (null: the shipped one). */
  playbookCatalogPath: string | null;
  recoveryReviewTtlMs: number;
  /** Recovery runs (DESIGN §8). */
  runs: {
    /** After its verify checks a run watches this long for a recurrence before it succeeds. */
    verifyWindowMs: number;
    /** A run still in its steps or checks this long after it started fails with `timed_out`. */
    runTimeoutMs: number;
    /** Runs one replica moves on at once: their transactions, the database-bound part (a run waiting on its call does not count). */
    concurrency: number;
    /** Runs one replica holds at once, each making or waiting for one actuator call at most. */
    calls: number;
    /** Of those, at most this many of one tenant: a tenant whose actuators hang slows only itself. */
    tenantCalls: number;
    /** Calls to one actuator of a tenant in flight at once on a replica; more wait for a slot. */
    actuatorCalls: number;
    /** A finished run's transitions (its step-by-step history) are deleted this long after it finished. */
    historyRetentionDays: number;
    /** A worker's lease on a run: the call's timeout plus this. A crashed worker's run is taken over after it. */
    leaseMarginMs: number;
    /** Retries of a failed actuator call back off from this (exponential, full jitter, at least Retry-After). */
    retryBaseMs: number;
    /** A run the kill switch paused looks at the switch again this often, besides being woken when it is turned off. */
    pausedRecheckMs: number;
  };
  /** Hardening (issue 11): abuse limits, security of /docs and of the embedded database. */
  security: {
    /** Failed authentications one client address may make per window before 429. */
    authFailureLimit: number;
    authFailureWindowMs: number;
    /** How long an unknown key is answered 401 from memory, without a database query. */
    unknownKeyCacheMs: number;
    /** Concurrent SSE streams one API key / one tenant may hold on this replica (429 beyond). */
    sseMaxStreamsPerKey: number;
    sseMaxStreamsPerTenant: number;
    /** GET /docs needs an API key (default: yes unless NODE_ENV=development). */
    docsRequireKey: boolean;
    /** The embedded PostgreSQL also listens on 127.0.0.1:EMBEDDED_PG_PORT (for tools); off: Unix socket only. */
    embeddedPgTcp: boolean;
  };
  /** The egress rule (ADR 0013): outbound calls reach public addresses, and these networks (ACTUATOR_ALLOW_NETWORKS). */
  egress: { allowNetworks: Network[] };
  /**
   * Express's `trust proxy` (TRUST_PROXY): false takes the client address from the socket; a hop
   * count or a list of proxy addresses/CIDRs (or loopback, linklocal, uniquelocal) reads it from
   * X-Forwarded-For through those proxies.
   */
  trustProxy: false | number | string[];
  /** How long a coding agent's claim on a work order holds without progress before it returns to the queue. */
  workOrderClaimMs: number;
  /** Most alerts (POST /intake/alertmanager) or samples (POST /signals/metrics) one request may carry; more → 413. */
  intakeMaxBatch: number;
  /** The audit log (DESIGN §12, ADR 0016). */
  audit: {
    /** AUDIT_SIGNING_KEY (Ed25519, PEM or 32-byte seed); null: one generated into dataDir/audit-signing-key. */
    signingKey: string | null;
    /** Raw Ed25519 public keys (base64) of earlier signing keys: their checkpoints still verify after a rotation. */
    previousPublicKeys: string[];
    /** How often each tenant's chain head is signed when it moved (0: only on demand). */
    checkpointIntervalMs: number;
    /** How often each tenant's whole chain is verified on a schedule (0: only when asked). */
    verifyIntervalMs: number;
    /** A retention cut may remove only entries older than this many days. */
    retentionMinDays: number;
    /** An export whose client reads nothing for this long is cut short: it holds a connection and a snapshot. */
    exportStallMs: number;
  };
  /** Where people reach the service (PUBLIC_URL, e.g. https://pillar-loop.example.com): the base of console links in messages; null: paths only. */
  publicUrl: string | null;
  /** Notification deliveries (DESIGN §12). */
  notifications: {
    /** Attempts of one delivery before it is dead-lettered. */
    maxAttempts: number;
    /** Retries back off exponentially from this (with jitter), never sooner than a Retry-After. */
    retryBaseMs: number;
    retryMaxMs: number;
    /** At most one message per this interval to one Slack channel (Slack allows about one a second). */
    slackIntervalMs: number;
    /** Channels one replica sends to at once (one message at a time per channel). */
    concurrency: number;
    /** Of those, at most this many of one tenant: channels that hang hold their own tenant's share, nobody else's. */
    tenantConcurrency: number;
    /** How often `review.waiting` is looked for. */
    sweepMs: number;
    /** Finished deliveries (sent, dead, suppressed) are kept this long, then pruned (PRUNE_INTERVAL_MS). */
    retentionDays: number;
  };
  /** How often the live inbox count is recomputed for open streams, for changes no event announces (a snooze ending, a lease lapsing). */
  inboxRefreshMs: number;
  /**
   * The rounds that delete old rows (processed outbox deliveries, old runs' transitions, expired
   * idempotency keys, finished notification deliveries), on replicas that run the relay.
   */
  prune: {
    /** The first round this long after start-up (PRUNE_FIRST_DELAY_MS). */
    firstDelayMs: number;
    /** Then one this often (PRUNE_INTERVAL_MS). */
    intervalMs: number;
  };
}

export const FLAG_NAMES = ['integration_loop', 'bridge_1', 'bridge_2', 'bridge_3', 'bridge_4', 'bridge_5'] as const;
export type FlagName = (typeof FLAG_NAMES)[number];

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`Invalid configuration: ${variable} ${detail}`);
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function num(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  // Number(' ') is 0: a blank value would silently become zero (AUDIT_RETENTION_MIN_DAYS: no floor at all).
  const value = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(value)) throw new ConfigError(name, `must be a number, got "${raw}"`);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function absolutePath(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!path.isAbsolute(raw)) throw new ConfigError(name, `must be an absolute path, got "${raw}"`);
  return path.resolve(raw);
}

function databaseUrl(env: Env): string | null {
  if (env.DATABASE_URL === undefined || env.DATABASE_URL === '') return null;
  // Trimmed: URL() skips a leading blank but pg does not (it would read the whole text as a database name
  // on host "base"). A blank value stays an error: it must not quietly start an embedded database instead.
  const raw = env.DATABASE_URL.trim();
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'must be a URL like postgres://user:pass@host:5432/db');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `must use the postgres:// scheme, got "${url.protocol}"`);
  }
  return raw;
}

const LOG_LEVELS: AppConfig['logLevel'][] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  // Blank is unset, as for every other variable (a compose file's `LOG_LEVEL: ${LOG_LEVEL}` with nothing behind it).
  const logLevel = (env.LOG_LEVEL?.trim().toLowerCase() || 'info') as AppConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  const adminApiKey = env.ADMIN_API_KEY?.trim() || null;
  if (adminApiKey !== null && adminApiKey.length < 16) {
    throw new ConfigError('ADMIN_API_KEY', 'must be at least 16 characters');
  }
  // It travels as `Authorization: Bearer <key>`, which the guard reads as one run of non-blanks (and the CLI
  // sends only visible ASCII): a passphrase with spaces would sign in to the console (its key travels in a
  // JSON body) but never authenticate an API call or the CLI.
  if (adminApiKey !== null && !/^[\x21-\x7e]+$/.test(adminApiKey)) {
    throw new ConfigError('ADMIN_API_KEY', 'must be visible ASCII without spaces (it is sent as a Bearer token)');
  }
  const retryBaseMs = int(env, 'OUTBOX_RETRY_BASE_MS', 200, 1, 3_600_000);
  const retryMaxMs = int(env, 'OUTBOX_RETRY_MAX_MS', 60_000, 1, 86_400_000);
  if (retryMaxMs < retryBaseMs) throw new ConfigError('OUTBOX_RETRY_MAX_MS', 'must not be below OUTBOX_RETRY_BASE_MS');
  const integrationLoop = bool(env, 'INTEGRATION_LOOP_ENABLED', true);
  const notificationRetryBase = int(env, 'NOTIFICATION_RETRY_BASE_MS', 2000, 1, 3_600_000);
  const notificationRetryMax = int(env, 'NOTIFICATION_RETRY_MAX_MS', 15 * 60_000, 1, 86_400_000);
  if (notificationRetryMax < notificationRetryBase)
    throw new ConfigError('NOTIFICATION_RETRY_MAX_MS', 'must not be below NOTIFICATION_RETRY_BASE_MS');
  return {
    port: int(env, 'PORT', 3000, 0, 65535),
    host: listenHost(env),
    dataDir: path.resolve(env.DATA_DIR?.trim() || '.data'),
    databaseUrl: databaseUrl(env),
    databaseConnectTimeoutS: int(env, 'DATABASE_CONNECT_TIMEOUT_S', 60, 0, 3600),
    embeddedPgPort: int(env, 'EMBEDDED_PG_PORT', 54329, 1, 65535),
    embeddedPgHome: absolutePath(env, 'EMBEDDED_PG_HOME', '/var/lib/pillar-loop'),
    dbPoolSize: int(env, 'DB_POOL_SIZE', 20, 2, 500),
    adminApiKey,
    apiKeyCacheMs: int(env, 'API_KEY_CACHE_MS', 1000, 0, 3_600_000),
    sessionTtlMs: int(env, 'SESSION_TTL_MS', 8 * 3_600_000, 60_000, 30 * 24 * 3_600_000),
    logLevel,
    idempotencyKeyTtlHours: int(env, 'IDEMPOTENCY_KEY_TTL_HOURS', 24, 1, 24 * 365),
    outbox: {
      concurrency: int(env, 'OUTBOX_CONCURRENCY', 1, 1, 64),
      batchSize: int(env, 'OUTBOX_BATCH_SIZE', 64, 1, 1000),
      maxAttempts: int(env, 'OUTBOX_MAX_ATTEMPTS', 5, 1, 100),
      leaseMs: int(env, 'OUTBOX_LEASE_MS', 30_000, 100, 3_600_000),
      pollIntervalMs: int(env, 'OUTBOX_POLL_INTERVAL_MS', 1000, 10, 600_000),
      heldSweepMs: int(env, 'OUTBOX_HELD_SWEEP_MS', 10_000, 100, 3_600_000),
      retryBaseMs,
      retryMaxMs,
      retentionHours: num(env, 'OUTBOX_RETENTION_HOURS', 72, 0, 24 * 365),
      relayEnabled: bool(env, 'OUTBOX_RELAY_ENABLED', true),
      backlogLimit: int(env, 'OUTBOX_BACKLOG_LIMIT', 10_000, 0, 100_000_000),
    },
    flagDefaults: {
      integration_loop: integrationLoop,
      bridge_1: bool(env, 'BRIDGE_1_ENABLED', true),
      bridge_2: bool(env, 'BRIDGE_2_ENABLED', true),
      bridge_3: bool(env, 'BRIDGE_3_ENABLED', true),
      bridge_4: bool(env, 'BRIDGE_4_ENABLED', true),
      bridge_5: bool(env, 'BRIDGE_5_ENABLED', true),
    },
    matchThreshold: num(env, 'CATALOG_MATCH_THRESHOLD', 0.8, 0.01, 1),
    draftAdjustmentTtlMs: int(env, 'DRAFT_ADJUSTMENT_TTL_MS', 24 * 3_600_000, 1000, 365 * 24 * 3_600_000),
    sseHeartbeatMs: int(env, 'SSE_HEARTBEAT_MS', 15_000, 100, 600_000),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    secretsKey: secretsKey(env),
    playbookCatalogPath: env.PLAYBOOK_CATALOG_PATH?.trim() ? absolutePath(env, 'PLAYBOOK_CATALOG_PATH', '') : null,
    recoveryReviewTtlMs: int(env, 'RECOVERY_REVIEW_TTL_MS', 7 * 24 * 3_600_000, 0, 365 * 24 * 3_600_000),
    runs: {
      verifyWindowMs: int(env, 'RECOVERY_VERIFY_WINDOW_MS', 15 * 60_000, 0, 30 * 24 * 3_600_000),
      runTimeoutMs: int(env, 'RECOVERY_RUN_TIMEOUT_MS', 72 * 3_600_000, 1000, 365 * 24 * 3_600_000),
      concurrency: int(env, 'RUN_ENGINE_CONCURRENCY', 16, 1, 1000),
      calls: int(env, 'RUN_ENGINE_CALLS', 256, 1, 100_000),
      tenantCalls: int(env, 'RUN_ENGINE_TENANT_CALLS', 64, 1, 100_000),
      actuatorCalls: int(env, 'RUN_ENGINE_ACTUATOR_CALLS', 32, 1, 100_000),
      historyRetentionDays: int(env, 'RUN_HISTORY_RETENTION_DAYS', 30, 1, 36_500),
      leaseMarginMs: int(env, 'RUN_LEASE_MARGIN_MS', 10_000, 100, 3_600_000),
      retryBaseMs: int(env, 'RUN_RETRY_BASE_MS', 500, 1, 3_600_000),
      pausedRecheckMs: int(env, 'RUN_PAUSED_RECHECK_MS', 60_000, 100, 86_400_000),
    },
    security: {
      authFailureLimit: int(env, 'AUTH_FAILURE_LIMIT', 20, 1, 1_000_000),
      authFailureWindowMs: int(env, 'AUTH_FAILURE_WINDOW_MS', 60_000, 1000, 86_400_000),
      unknownKeyCacheMs: int(env, 'UNKNOWN_KEY_CACHE_MS', 5000, 0, 3_600_000),
      sseMaxStreamsPerKey: int(env, 'SSE_MAX_STREAMS_PER_KEY', 20, 1, 100_000),
      sseMaxStreamsPerTenant: int(env, 'SSE_MAX_STREAMS_PER_TENANT', 200, 1, 1_000_000),
      docsRequireKey: bool(env, 'DOCS_REQUIRE_KEY', env.NODE_ENV?.trim() !== 'development'),
      embeddedPgTcp: bool(env, 'EMBEDDED_PG_TCP', false),
    },
    egress: { allowNetworks: networks(env, 'ACTUATOR_ALLOW_NETWORKS') },
    trustProxy: trustProxy(env),
    workOrderClaimMs: int(env, 'WORK_ORDER_CLAIM_MS', 3_600_000, 100, 7 * 24 * 3_600_000),
    // No higher than the input guard's limit on any array: above it a batch is refused 400 before its 413 (Alertmanager drops it).
    // It also sizes the intake routes' body limit (intakeBodyLimit), so a full batch is never a 413 for its bytes.
    intakeMaxBatch: int(env, 'INTAKE_MAX_BATCH', 1000, 1, MAX_BODY_ENTRIES),
    audit: {
      signingKey: auditSigningKey(env),
      previousPublicKeys: previousPublicKeys(env),
      checkpointIntervalMs: int(env, 'AUDIT_CHECKPOINT_INTERVAL_MS', 3_600_000, 0, 7 * 24 * 3_600_000),
      verifyIntervalMs: int(env, 'AUDIT_VERIFY_INTERVAL_MS', 24 * 3_600_000, 0, 30 * 24 * 3_600_000),
      retentionMinDays: num(env, 'AUDIT_RETENTION_MIN_DAYS', 365, 0, 100 * 365),
      exportStallMs: int(env, 'AUDIT_EXPORT_STALL_MS', 30_000, 100, 3_600_000),
    },
    publicUrl: publicUrl(env),
    notifications: {
      maxAttempts: int(env, 'NOTIFICATION_MAX_ATTEMPTS', 8, 1, 100),
      retryBaseMs: notificationRetryBase,
      retryMaxMs: notificationRetryMax,
      slackIntervalMs: int(env, 'SLACK_MIN_INTERVAL_MS', 1000, 0, 3_600_000),
      concurrency: int(env, 'NOTIFICATION_CONCURRENCY', 16, 1, 256),
      tenantConcurrency: int(env, 'NOTIFICATION_TENANT_CONCURRENCY', 4, 1, 256),
      sweepMs: int(env, 'NOTIFICATION_SWEEP_MS', 30_000, 100, 3_600_000),
      retentionDays: int(env, 'NOTIFICATION_RETENTION_DAYS', 30, 1, 3650),
    },
    inboxRefreshMs: int(env, 'INBOX_REFRESH_MS', 10_000, 100, 3_600_000),
    prune: {
      firstDelayMs: int(env, 'PRUNE_FIRST_DELAY_MS', 30_000, 0, 3_600_000),
      intervalMs: int(env, 'PRUNE_INTERVAL_MS', 10 * 60_000, 100, 24 * 3_600_000),
    },
  };
}

/**
 * HOST: an IP address or a host name. Anything else (`http://0.0.0.0`, `0.0.0.0:3000`, `[::]`) would
 * only fail at listen, after the database started, as a getaddrinfo stack trace that names no variable.
 */
function listenHost(env: Env): string {
  const raw = env.HOST?.trim();
  if (!raw) return '0.0.0.0';
  // Underscores too: container names resolve with them (a compose service `pillar_loop`).
  const label = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
  if (isIP(raw) || new RegExp(`^${label}(?:\\.${label})*$`, 'i').test(raw)) return raw;
  throw new ConfigError(
    'HOST',
    `must be an IP address or a host name (0.0.0.0, ::, 127.0.0.1, localhost), got "${raw}"`,
  );
}

/** PUBLIC_URL: an absolute http(s) URL without query or fragment; kept without a trailing slash. */
function publicUrl(env: Env): string | null {
  const raw = env.PUBLIC_URL?.trim();
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      'PUBLIC_URL',
      `must be an absolute URL such as https://pillar-loop.example.com, got "${raw}"`,
    );
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search ||
    url.hash ||
    url.username ||
    url.password
  ) {
    throw new ConfigError('PUBLIC_URL', 'must be an http(s) URL without credentials, query or fragment');
  }
  return url.href.replace(/\/+$/, '');
}

function networks(env: Env, name: string): Network[] {
  try {
    return parseNetworks(env[name] ?? '');
  } catch (err) {
    throw new ConfigError(
      name,
      `must be comma-separated CIDRs such as 127.0.0.0/8,10.0.0.0/8: ${(err as Error).message}`,
    );
  }
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** TRUST_PROXY: unset/false, a hop count, or proxies (CIDRs, addresses, Express's names). Not `true`: every client could name its own address. */
function trustProxy(env: Env): false | number | string[] {
  const raw = env.TRUST_PROXY?.trim() ?? '';
  if (raw === '' || raw.toLowerCase() === 'false') return false;
  if (/^\d+$/.test(raw)) return int(env, 'TRUST_PROXY', 0, 0, 100) || false;
  if (raw.toLowerCase() === 'true') {
    throw new ConfigError(
      'TRUST_PROXY',
      "must not be true (any client could then choose its address): give the hop count or the proxies' addresses",
    );
  }
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const entry of entries.filter((e) => !PROXY_NAMES.includes(e))) {
    try {
      parseNetworks(entry);
    } catch (err) {
      throw new ConfigError(
        'TRUST_PROXY',
        `must be a hop count, or proxies' addresses/CIDRs (or ${PROXY_NAMES.join(', ')}): ${(err as Error).message}`,
      );
    }
  }
  return entries;
}

/** SECRETS_KEY: 64 hex characters or base64 of 32 bytes (AES-256). */
function secretsKey(env: Env): Buffer | null {
  const raw = env.SECRETS_KEY?.trim();
  if (!raw) return null;
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new ConfigError('SECRETS_KEY', 'must be 32 bytes, as 64 hex characters or base64');
  return key;
}

/** AUDIT_SIGNING_KEY: checked here, so a bad key stops the start naming the variable. */
function auditSigningKey(env: Env): string | null {
  const raw = env.AUDIT_SIGNING_KEY?.trim();
  if (!raw) return null;
  try {
    parseSigningKey(raw);
  } catch (err) {
    const forms = 'an Ed25519 private key (PKCS#8 PEM, or its 32-byte seed as 64 hex digits or base64)';
    throw new ConfigError('AUDIT_SIGNING_KEY', `must be ${forms}: ${(err as Error).message}`);
  }
  return raw;
}

/** AUDIT_PREVIOUS_PUBLIC_KEYS: comma-separated raw Ed25519 public keys, base64 (as GET /audit/public-key's). */
function previousPublicKeys(env: Env): string[] {
  const keys = (env.AUDIT_PREVIOUS_PUBLIC_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  for (const key of keys) {
    try {
      parsePublicKey(key);
    } catch (err) {
      const detail = `must be comma-separated base64 Ed25519 public keys: ${(err as Error).message}`;
      throw new ConfigError('AUDIT_PREVIOUS_PUBLIC_KEYS', detail);
    }
  }
  return keys;
}

/**
 * loadConfig for a process's entry point (the service, the migration command): a bad variable ends
 * it with the error's one line and exit 78 (EX_CONFIG), not an uncaught error's stack trace.
 */
export function loadConfigOrExit(
  env: Env = process.env,
  fail: (line: string) => never = (line) => {
    console.error(line);
    process.exit(78);
  },
): AppConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message);
    throw err;
  }
}

export const APP_CONFIG = Symbol('APP_CONFIG');
