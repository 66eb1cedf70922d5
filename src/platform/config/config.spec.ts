import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, loadConfigOrExit } from './config.js';

describe('loadConfig', () => {
  it('has sensible defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBeNull();
    expect(c.dataDir).toMatch(/\.data$/);
    expect(c.outbox).toMatchObject({ maxAttempts: 5, concurrency: 1, batchSize: 64, relayEnabled: true });
    expect(Object.values(c.flagDefaults).every(Boolean)).toBe(true);
    expect(c.matchThreshold).toBe(0.8);
    expect(c.workOrderClaimMs).toBe(3_600_000);
    expect(c.embeddedPgHome).toBe('/var/lib/pillar-loop');
    expect(loadConfig({ EMBEDDED_PG_HOME: '/srv/pg/' }).embeddedPgHome).toBe('/srv/pg');
    expect(c.publicUrl).toBeNull();
    expect(loadConfig({ PUBLIC_URL: 'https://ops.example.com/pillar/' }).publicUrl).toBe(
      'https://ops.example.com/pillar',
    );
    expect(c.notifications).toMatchObject({ maxAttempts: 8, slackIntervalMs: 1000 });
    expect(c.prune).toEqual({ firstDelayMs: 30_000, intervalMs: 600_000 });
    expect(c.idempotencyKeyTtlHours).toBe(24);
  });

  it.each([
    ['PORT', 'eighty', /PORT must be an integer/],
    ['PORT', '70000', /PORT must be between 0 and 65535/],
    ['OUTBOX_MAX_ATTEMPTS', '0', /OUTBOX_MAX_ATTEMPTS must be between/],
    ['BRIDGE_2_ENABLED', 'maybe', /BRIDGE_2_ENABLED must be true or false/],
    ['DATABASE_URL', 'not a url', /DATABASE_URL must be a URL/],
    ['DATABASE_URL', ' ', /DATABASE_URL must be a URL/],
    ['CATALOG_MATCH_THRESHOLD', '1.5', /CATALOG_MATCH_THRESHOLD must be between/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of fatal, .*, silent, got "loud"/],
    ['ADMIN_API_KEY', 'short', /ADMIN_API_KEY must be at least 16 characters/],
    // Bearer <key> is read as one run of non-blanks: this key would be created and never authenticate.
    ['ADMIN_API_KEY', 'correct horse battery staple', /ADMIN_API_KEY must be visible ASCII without spaces/],
    ['ADMIN_API_KEY', 'pässwörter-sind-lang', /ADMIN_API_KEY must be visible ASCII without spaces/],
    ['WORK_ORDER_CLAIM_MS', '50', /WORK_ORDER_CLAIM_MS must be between 100 and/],
    ['WORK_ORDER_CLAIM_MS', 'an hour', /WORK_ORDER_CLAIM_MS must be an integer/],
    ['EMBEDDED_PG_HOME', 'var/lib/pl', /EMBEDDED_PG_HOME must be an absolute path/],
    ['PUBLIC_URL', 'pillar-loop.example.com', /PUBLIC_URL must be an absolute URL/],
    ['PUBLIC_URL', 'ftp://pillar-loop.example.com', /PUBLIC_URL must be an http\(s\) URL/],
    ['PUBLIC_URL', 'https://pillar-loop.example.com/?next=x', /PUBLIC_URL must be an http\(s\) URL/],
    ['NOTIFICATION_RETRY_MAX_MS', '10', /NOTIFICATION_RETRY_MAX_MS must not be below NOTIFICATION_RETRY_BASE_MS/],
    ['PRUNE_INTERVAL_MS', '50', /PRUNE_INTERVAL_MS must be between 100 and/],
    ['IDEMPOTENCY_KEY_TTL_HOURS', '0', /IDEMPOTENCY_KEY_TTL_HOURS must be between 1 and 8760/],
    ['IDEMPOTENCY_KEY_TTL_HOURS', '1.5', /IDEMPOTENCY_KEY_TTL_HOURS must be an integer/],
    ['PRUNE_FIRST_DELAY_MS', '-1', /PRUNE_FIRST_DELAY_MS must be between 0 and/],
    // The input guard refuses any array over 1 000 items with a 400 first: a higher limit could never be reached.
    ['INTAKE_MAX_BATCH', '1001', /INTAKE_MAX_BATCH must be between 1 and 1000, got 1001/],
    // A blank value is no zero: no audit retention floor, processed deliveries pruned at once.
    ['AUDIT_RETENTION_MIN_DAYS', ' ', /AUDIT_RETENTION_MIN_DAYS must be a number, got " "/],
    ['OUTBOX_RETENTION_HOURS', '\t', /OUTBOX_RETENTION_HOURS must be a number/],
  ])('rejects %s=%s naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('reads flags and numbers', () => {
    const c = loadConfig({
      INTEGRATION_LOOP_ENABLED: 'false',
      BRIDGE_3_ENABLED: '0',
      OUTBOX_RETENTION_HOURS: '0.5',
      DATABASE_URL: 'postgres://u:p@h:5432/d',
    });
    expect(c.flagDefaults.integration_loop).toBe(false);
    expect(c.flagDefaults.bridge_3).toBe(false);
    expect(c.outbox.retentionHours).toBe(0.5);
    expect(c.databaseUrl).toBe('postgres://u:p@h:5432/d');
    // As pasted from a secret, with blanks around it: the URL that was checked is the one used.
    expect(loadConfig({ DATABASE_URL: ' postgres://u:p@h:5432/d\n' }).databaseUrl).toBe('postgres://u:p@h:5432/d');
  });

  it('DATABASE_CONNECT_TIMEOUT_S: 60 s by default, 0 for a single attempt, at most an hour', () => {
    expect(loadConfig({}).databaseConnectTimeoutS).toBe(60);
    expect(loadConfig({ DATABASE_CONNECT_TIMEOUT_S: '0' }).databaseConnectTimeoutS).toBe(0);
    expect(() => loadConfig({ DATABASE_CONNECT_TIMEOUT_S: '3601' })).toThrow(
      'DATABASE_CONNECT_TIMEOUT_S must be between 0 and 3600',
    );
  });

  it('LOG_LEVEL: any case; blank is the default, as for every other variable', () => {
    expect(loadConfig({ LOG_LEVEL: 'WARN' }).logLevel).toBe('warn');
    expect(loadConfig({ LOG_LEVEL: '' }).logLevel).toBe('info');
    expect(loadConfig({ LOG_LEVEL: ' ' }).logLevel).toBe('info');
  });

  it('HOST: an IP address or a host name, else refused at once rather than at listen', () => {
    expect(loadConfig({}).host).toBe('0.0.0.0');
    for (const host of ['::', '127.0.0.1', 'localhost', 'pillar-loop.internal', 'pillar_loop', ' 10.0.0.5 '])
      expect(loadConfig({ HOST: host }).host).toBe(host.trim());
    for (const host of ['http://0.0.0.0', '0.0.0.0:3000', '[::]', 'local host', '-bad-.example'])
      expect(() => loadConfig({ HOST: host })).toThrow(`HOST must be an IP address or a host name`);
  });

  it('rejects a retry maximum below the base', () => {
    expect(() => loadConfig({ OUTBOX_RETRY_BASE_MS: '500', OUTBOX_RETRY_MAX_MS: '100' })).toThrow(
      /OUTBOX_RETRY_MAX_MS/,
    );
  });
});

describe('secrets key and review expiry', () => {
  it('reads SECRETS_KEY as hex or base64 of 32 bytes and rejects other lengths, naming it', () => {
    const hex = 'ab'.repeat(32);
    expect(loadConfig({ SECRETS_KEY: hex }).secretsKey?.toString('hex')).toBe(hex);
    expect(
      loadConfig({ SECRETS_KEY: Buffer.alloc(32, 3).toString('base64') }).secretsKey?.equals(Buffer.alloc(32, 3)),
    ).toBe(true);
    expect(loadConfig({}).secretsKey).toBeNull();
    expect(() => loadConfig({ SECRETS_KEY: 'short' })).toThrow(/SECRETS_KEY/);
  });

  it('RECOVERY_REVIEW_TTL_MS defaults to 7 days; 0 turns expiry off', () => {
    expect(loadConfig({}).recoveryReviewTtlMs).toBe(7 * 24 * 3_600_000);
    expect(loadConfig({ RECOVERY_REVIEW_TTL_MS: '0' }).recoveryReviewTtlMs).toBe(0);
    expect(() => loadConfig({ RECOVERY_REVIEW_TTL_MS: '-1' })).toThrow(/RECOVERY_REVIEW_TTL_MS/);
  });
});

describe('egress and proxies (issue 20)', () => {
  it('ACTUATOR_ALLOW_NETWORKS: none by default, CIDRs or addresses, a bad entry named', () => {
    expect(loadConfig({}).egress.allowNetworks).toEqual([]);
    expect(
      loadConfig({ ACTUATOR_ALLOW_NETWORKS: '127.0.0.0/8, ::1' }).egress.allowNetworks.map(
        ([a, bits]) => `${a.toString()}/${bits}`,
      ),
    ).toEqual(['127.0.0.0/8', '::1/128']);
    expect(() => loadConfig({ ACTUATOR_ALLOW_NETWORKS: '127.0.0.0/8,localhost' })).toThrow(
      /ACTUATOR_ALLOW_NETWORKS must be comma-separated CIDRs.*"localhost"/,
    );
  });

  it('TRUST_PROXY: off by default; a hop count or proxies; never true', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY must not be true/);
    expect(() => loadConfig({ TRUST_PROXY: 'my-proxy' })).toThrow(/TRUST_PROXY must be a hop count/);
    expect(() => loadConfig({ TRUST_PROXY: '1000' })).toThrow(/TRUST_PROXY must be between 0 and 100/);
  });
});

describe('loadConfigOrExit (the service and the migration command)', () => {
  it('ends on a bad variable with its one line, not a stack trace; a good environment is its config', () => {
    const lines: string[] = [];
    const fail = (line: string): never => {
      lines.push(line);
      throw new Error('exited');
    };
    expect(() => loadConfigOrExit({ DB_POOL_SIZE: 'x' }, fail)).toThrow('exited');
    expect(lines).toEqual(['Invalid configuration: DB_POOL_SIZE must be an integer, got "x"']);
    expect(loadConfigOrExit({ PORT: '8080' }, fail).port).toBe(8080);
  });
});
