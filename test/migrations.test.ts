import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { migrations } from '../migrations/index.js';
import { SecretBox } from '../src/platform/crypto/secret-box.js';
import { dataSourceOptions } from '../src/platform/database/data-source-options.js';
import { revertLastMigration, runMigrations } from '../src/platform/database/migrate.js';
import { maskedQueryUrl } from '../src/platform/http/query-pairs.js';
import { createTestDatabase } from './support/test-database.js';

describe('migrations', () => {
  let url: string;
  let ds: DataSource;
  const tables = async () =>
    (
      await ds.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY 1`,
      )
    ).map((r: { table_name: string }) => r.table_name);

  beforeAll(async () => {
    url = await createTestDatabase({ empty: true }); // these tests run the migrations themselves
    ds = new DataSource(dataSourceOptions(url, 2));
    await ds.initialize();
  });
  afterAll(() => ds.destroy());

  it('applies every migration, then each down reverts cleanly, then up again', async () => {
    expect(await runMigrations(url)).toHaveLength(migrations.length);
    expect(await runMigrations(url)).toEqual([]); // nothing pending the second time
    expect(await tables()).toEqual(
      expect.arrayContaining([
        'agents',
        'api_keys',
        'decisions',
        'failure_patterns',
        'feature_flag_changes',
        'feature_flags',
        'idempotency_keys',
        'incidents',
        'killswitch_state',
        'loop_events',
        'loop_traces',
        'outbox_events',
        'policy_evaluations',
        'policy_rules',
        'recovery_actions',
        'recovery_candidates',
        'routing_adjustments',
        'routing_decisions',
      ]),
    );
    expect(await tables()).not.toContain('outbox_consumptions'); // a delivery's own row is its mark now
    // No index keyed by a random event id on the outbox's hot insert path.
    const outboxIndexes = async () =>
      (await ds.query(`SELECT indexdef FROM pg_indexes WHERE tablename = 'outbox_events'`)).map(
        (r: { indexdef: string }) => r.indexdef,
      );
    expect((await outboxIndexes()).filter((d: string) => d.includes('event_id'))).toEqual([]);
    for (let i = 0; i < migrations.length; i++) await revertLastMigration(url);
    expect(await tables()).toEqual([]);
    expect(await runMigrations(url)).toHaveLength(migrations.length);
  });

  it('re-keys stored patterns by token count (issue 16), and back on down', async () => {
    await runMigrations(url);
    // Back to just before the pattern-history migration (the ones after it first).
    const after = migrations.length - migrations.findIndex((m) => m.name === 'PatternHistory1765600000000');
    for (let i = 0; i < after; i++) await revertLastMigration(url);
    const tokens = ['Failed', 'to', 'connect', 'to', '<IP>', 'after', '<NUM>', 'tries'];
    await ds.query(
      `INSERT INTO failure_patterns (id, tenant_id, error_type, shape_key, template, template_tokens) VALUES ($1, 'm', 'db', '8:connect', $2, $3)`,
      ['01a233e4-0000-7000-8000-000000000001', tokens.join(' '), tokens],
    );
    const key = async () =>
      (await ds.query(`SELECT shape_key FROM failure_patterns WHERE tenant_id = 'm'`))[0].shape_key;
    await runMigrations(url);
    expect(await key()).toBe('8');
    for (let i = 0; i < after; i++) await revertLastMigration(url);
    expect(await key()).toBe('8:connect');
    await runMigrations(url);
  });

  it('turns a recovery template stored as JSON null into SQL NULL, and leaves real templates', async () => {
    await runMigrations(url);
    const after =
      migrations.length - migrations.findIndex((m) => m.name === 'PatternRecoveryTemplateSqlNull1767400500000');
    for (let i = 0; i < after; i++) await revertLastMigration(url);
    const insert = (id: string, template: string | null) =>
      ds.query(
        `INSERT INTO failure_patterns (id, tenant_id, error_type, shape_key, template, template_tokens, recovery_template)
         VALUES ($1, 'm-null', 'db', '1', 'x', ARRAY['x'], $2::jsonb)`,
        [id, template],
      );
    await insert('01a233e4-0000-7000-8000-000000000011', 'null');
    await insert('01a233e4-0000-7000-8000-000000000012', '{"playbookId":"memory_cleanup"}');
    await insert('01a233e4-0000-7000-8000-000000000013', null);
    await runMigrations(url);
    expect(
      await ds.query(
        `SELECT recovery_template IS NULL AS sql_null, recovery_template AS t FROM failure_patterns WHERE tenant_id = 'm-null' ORDER BY id`,
      ),
    ).toEqual([
      { sql_null: true, t: null },
      { sql_null: false, t: { playbookId: 'memory_cleanup' } },
      { sql_null: true, t: null },
    ]);
    await ds.query(`DELETE FROM failure_patterns WHERE tenant_id = 'm-null'`);
  });

  it('records on the failed work orders and escalations of incidents resolved before that they no longer wait, and drops it on down', async () => {
    await runMigrations(url);
    const after =
      migrations.length - migrations.findIndex((m) => m.name === 'IncidentResolvedSettlesWaiting1767401230000');
    for (let i = 0; i < after; i++) await revertLastMigration(url);
    const [open, resolved] = ['01a233e4-0000-7000-8000-000000000021', '01a233e4-0000-7000-8000-000000000022'];
    await ds.query(
      `INSERT INTO incidents (id, tenant_id, title, error_type, message, severity, occurred_at, status, resolved_at, resolved_by)
       VALUES ($1, 'm-settle', 'open', 'CodeBug', 'x', 'high', now(), 'open', NULL, NULL),
              ($2, 'm-settle', 'fixed', 'CodeBug', 'x', 'high', now(), 'resolved', '2026-01-02T03:04:05.678Z', 'ops')`,
      [open, resolved],
    );
    for (const [n, incident] of [
      [1, open],
      [2, resolved],
    ] as const) {
      await ds.query(
        `INSERT INTO work_orders (id, tenant_id, incident_id, description, priority, complexity, status)
         VALUES ($1, 'm-settle', $2, 'fix', 'high', 'small', 'failed')`,
        [`01a233e4-0000-7000-8000-00000000003${n}`, incident],
      );
      await ds.query(
        `INSERT INTO signal_escalations (id, tenant_id, metric, armed_at, expires_at, symptom_ids, incident_id)
         VALUES ($1, 'm-settle', 'latency_ms', now(), now(), '{}', $2)`,
        [`01a233e4-0000-7000-8000-00000000004${n}`, incident],
      );
    }
    await runMigrations(url);
    const settled = (table: string) =>
      ds.query(`SELECT incident_id, incident_resolved_at FROM ${table} WHERE tenant_id = 'm-settle' ORDER BY id`);
    for (const table of ['work_orders', 'signal_escalations'])
      expect(await settled(table)).toEqual([
        { incident_id: open, incident_resolved_at: null },
        { incident_id: resolved, incident_resolved_at: new Date('2026-01-02T03:04:05.678Z') },
      ]);
    // Their look-up indexes, built concurrently by the migration after it: valid.
    const indexes = () =>
      ds.query(
        `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE c.relname LIKE '%_unsettled_incident' ORDER BY 1`,
      );
    expect(await indexes()).toEqual([
      { name: 'idx_signal_escalations_unsettled_incident', valid: true },
      { name: 'idx_work_orders_unsettled_incident', valid: true },
    ]);
    for (let i = 0; i < after; i++) await revertLastMigration(url);
    await expect(settled('work_orders')).rejects.toThrow(/incident_resolved_at/);
    expect(await indexes()).toEqual([]);
    await runMigrations(url);
    expect(await indexes()).toHaveLength(2);
    for (const table of ['work_orders', 'signal_escalations', 'incidents'])
      await ds.query(`DELETE FROM ${table} WHERE tenant_id = 'm-settle'`);
  });

  it('fills in who finished the work orders finished before (the key of their last claim), and drops it on down', async () => {
    await runMigrations(url);
    const after = migrations.length - migrations.findIndex((m) => m.name === 'WorkOrderFinishedByRole1767401250000');
    for (let i = 0; i < after; i++) await revertLastMigration(url);
    const [operatorKey, agentKey] = ['01a233e4-0000-7000-8000-000000000051', '01a233e4-0000-7000-8000-000000000052'];
    await ds.query(
      `INSERT INTO api_keys (id, tenant_id, name, role, key_hash, key_prefix)
       VALUES ($1, 'm-by-role', 'ops', 'operator', 'm-by-role-1', 'pk_1'), ($2, 'm-by-role', 'bot', 'agent', 'm-by-role-2', 'pk_2')`,
      [operatorKey, agentKey],
    );
    // 61: the operator completed it; 62: the agent's claim after the operator's lapsed, it failed; 63: still queued.
    const orders = ['61', '62', '63'].map((n) => `01a233e4-0000-7000-8000-0000000000${n}`);
    for (const [id, status] of [
      [orders[0], 'completed'],
      [orders[1], 'failed'],
      [orders[2], 'queued'],
    ])
      await ds.query(
        `INSERT INTO work_orders (id, tenant_id, description, priority, complexity, status)
         VALUES ($1, 'm-by-role', 'fix', 'high', 'small', $2)`,
        [id, status],
      );
    for (const [n, order, key, at] of [
      [1, orders[0], operatorKey, '2026-01-01T00:00:00Z'],
      [2, orders[1], operatorKey, '2026-01-01T00:00:00Z'],
      [3, orders[1], agentKey, '2026-01-01T01:00:00Z'],
      [4, orders[2], agentKey, '2026-01-01T00:00:00Z'],
    ] as const)
      await ds.query(
        `INSERT INTO work_order_claims (token_hash, tenant_id, work_order_id, key_id, claimed_by, claimed_at)
         VALUES ($1, 'm-by-role', $2, $3, 'someone', $4)`,
        [`m-by-role-claim-${n}`, order, key, at],
      );
    await runMigrations(url);
    const roles = () =>
      ds.query(`SELECT id, finished_by_role FROM work_orders WHERE tenant_id = 'm-by-role' ORDER BY id`);
    expect(await roles()).toEqual([
      { id: orders[0], finished_by_role: 'operator' },
      { id: orders[1], finished_by_role: 'agent' },
      { id: orders[2], finished_by_role: null },
    ]);
    for (let i = 0; i < after; i++) await revertLastMigration(url);
    await expect(roles()).rejects.toThrow(/finished_by_role/);
    await runMigrations(url);
    for (const table of ['work_orders', 'api_keys'])
      await ds.query(`DELETE FROM ${table} WHERE tenant_id = 'm-by-role'`);
  });

  it('gives the notifications not yet sent their place in line (held: their hold’s end), swaps the index, and back on down', async () => {
    await runMigrations(url);
    const after = migrations.length - migrations.findIndex((m) => m.name === 'NotificationLineOrder1767401350000');
    for (let i = 0; i < after; i++) await revertLastMigration(url);
    const indexes = async () =>
      (
        await ds.query(
          `SELECT indexname FROM pg_indexes WHERE tablename = 'notification_deliveries'
              AND indexname IN ('idx_notification_deliveries_due', 'idx_notification_deliveries_line')`,
        )
      ).map((r: { indexname: string }) => r.indexname);
    expect(await indexes()).toEqual(['idx_notification_deliveries_due']);
    // A retry waiting (due later than it was made), a held one (due when its hold ends), a sent one.
    for (const [n, status, made, due] of [
      [1, 'pending', '2026-01-01T00:00:00Z', '2026-01-01T00:05:00Z'],
      [2, 'held', '2026-01-01T00:01:00Z', '2026-01-01T07:00:00Z'],
      [3, 'sent', '2026-01-01T00:02:00Z', '2026-01-01T00:02:00Z'],
    ] as const)
      await ds.query(
        `INSERT INTO notification_deliveries (id, tenant_id, channel, event, subject_key, severity, notice, status, created_at, available_at)
         VALUES ($1, 'm-line', 'hook', 'e', 'k', 'high', '{}', $2, $3, $4)`,
        [`01a233e4-0000-7000-8000-00000000007${n}`, status, made, due],
      );
    await runMigrations(url);
    const places = () =>
      ds.query(`SELECT status, queued_at FROM notification_deliveries WHERE tenant_id = 'm-line' ORDER BY id`);
    expect(await places()).toEqual([
      { status: 'pending', queued_at: new Date('2026-01-01T00:00:00Z') },
      { status: 'held', queued_at: new Date('2026-01-01T07:00:00Z') },
      { status: 'sent', queued_at: null },
    ]);
    expect(await indexes()).toEqual(['idx_notification_deliveries_line']);
    for (let i = 0; i < after; i++) await revertLastMigration(url);
    await expect(places()).rejects.toThrow(/queued_at/);
    expect(await indexes()).toEqual(['idx_notification_deliveries_due']);
    await runMigrations(url);
    await ds.query(`DELETE FROM notification_deliveries WHERE tenant_id = 'm-line'`);
  });

  it("masks the query values of the webhook channels' shown URLs, and leaves Slack's and the sealed URL", async () => {
    await runMigrations(url);
    const after = migrations.length - migrations.findIndex((m) => m.name === 'WebhookChannelQueryMasked1767401260000');
    for (let i = 0; i < after; i++) await revertLastMigration(url);
    for (const [name, type, shown] of [
      ['query', 'webhook', 'https://ops.example/hook?token=s3cr3t-v4lue&team=sre&&t0k3n'],
      ['plain', 'webhook', 'https://ops.example/hook'],
      ['bare', 'webhook', 'https://ops.example/hook?'],
      ['slack', 'slack', 'https://hooks.slack.com/…?abc'],
    ])
      await ds.query(
        `INSERT INTO notification_channels (tenant_id, name, type, url_sealed, url_shown, timeout_ms)
         VALUES ('m-mask', $1, $2, 'v1.sealed', $3, 1000)`,
        [name, type, shown],
      );
    await runMigrations(url);
    const shown = () =>
      ds.query(
        `SELECT name, url_shown, url_sealed FROM notification_channels WHERE tenant_id = 'm-mask' ORDER BY name`,
      );
    const masked = [
      { name: 'bare', url_shown: 'https://ops.example/hook?', url_sealed: 'v1.sealed' },
      { name: 'plain', url_shown: 'https://ops.example/hook', url_sealed: 'v1.sealed' },
      { name: 'query', url_shown: 'https://ops.example/hook?token=…&team=…&&=…', url_sealed: 'v1.sealed' },
      { name: 'slack', url_shown: 'https://hooks.slack.com/…?abc', url_sealed: 'v1.sealed' },
    ];
    expect(await shown()).toEqual(masked);
    // The same mask as a PUT makes now.
    for (const [i, written] of [
      [0, 'https://ops.example/hook?'],
      [2, 'https://ops.example/hook?token=s3cr3t-v4lue&team=sre&&t0k3n'],
    ] as const)
      expect(maskedQueryUrl(written)).toBe(masked[i].url_shown);
    for (let i = 0; i < after; i++) await revertLastMigration(url);
    expect(await shown()).toEqual(masked);
    await runMigrations(url);
    await ds.query(`DELETE FROM notification_channels WHERE tenant_id = 'm-mask'`);
  });

  it('seals stored actuator headers, moves URL credentials into a sealed Basic header, and opens them again on down (issue 20)', async () => {
    const box = new SecretBox(Buffer.alloc(32, 7));
    const secrets = { secretBox: () => box };
    await runMigrations(url);
    const after = migrations.length - migrations.findIndex((m) => m.name === 'ActuatorHeadersSealed1765800000000');
    for (let i = 0; i < after; i++) await revertLastMigration(url);
    await ds.query(
      `INSERT INTO actuators (tenant_id, name, url, headers, timeout_ms, secret_sealed) VALUES
        ('m', 'ops', 'https://ops.example.com/hook', '{"authorization": "Bearer tok-123", "x-team": "sre"}', 1000, 'v1.x.y.z'),
        ('m', 'legacy', 'https://svc:p%40ss@ops.example.com/hook', '{}', 1000, 'v1.x.y.z'),
        ('m', 'plain', 'https://ops.example.com/plain', '{}', 1000, 'v1.x.y.z')`,
    );
    // Headers to seal and no key: the migration says what it needs instead of storing them in the clear.
    await expect(runMigrations(url)).rejects.toThrow(/needs the secrets key/);
    await runMigrations(url, secrets);
    const rows = async () =>
      Object.fromEntries(
        (await ds.query(`SELECT * FROM actuators WHERE tenant_id = 'm' ORDER BY name`)).map((r: { name: string }) => [
          r.name,
          r,
        ]),
      );
    const up = await rows();
    expect(JSON.stringify(up)).not.toMatch(/tok-123|p%40ss|p@ss|"sre"/);
    expect(box.open(up.ops.headers_sealed.authorization)).toBe('Bearer tok-123');
    expect(box.open(up.ops.headers_sealed['x-team'])).toBe('sre');
    expect(up.legacy.url).toBe('https://ops.example.com/hook');
    expect(box.open(up.legacy.headers_sealed.authorization)).toBe(
      `Basic ${Buffer.from('svc:p@ss').toString('base64')}`,
    );
    expect(up.plain.headers_sealed).toEqual({});
    for (let i = 0; i < after; i++) await revertLastMigration(url, secrets);
    const down = await rows();
    expect(down.ops.headers).toEqual({ authorization: 'Bearer tok-123', 'x-team': 'sre' });
    expect(down.legacy.headers).toEqual({ authorization: `Basic ${Buffer.from('svc:p@ss').toString('base64')}` });
    expect(down.plain.headers).toEqual({});
    await ds.query(`DELETE FROM actuators WHERE tenant_id = 'm'`);
    await runMigrations(url);
  });

  it('refuses audit entries before seq 1; a database already holding one still migrates, the check left NOT VALID; down drops it', async () => {
    await runMigrations(url);
    const after = migrations.length - migrations.findIndex((m) => m.name === 'AuditSeqPositive1767000000000');
    const revert = async () => {
      for (let i = 0; i < after; i++) await revertLastMigration(url);
    };
    const check = async () =>
      (
        await ds.query(
          `SELECT convalidated FROM pg_constraint WHERE conrelid = 'audit_entries'::regclass AND conname = 'audit_entries_seq_positive'`,
        )
      )[0] ?? null;
    const insert = (tenant: string, seq: number) =>
      ds.query(
        `INSERT INTO audit_entries (tenant_id, seq, at, actor, action, subject_type, subject_id, prev_hash, hash)
         VALUES ($1, $2, now(), 'system', 'thing.changed', 'thing', 'forged', 'x', 'y')`,
        [tenant, seq],
      );
    expect(await check()).toEqual({ convalidated: true });
    await expect(insert('m', 0)).rejects.toThrow(/audit_entries_seq_positive/);
    await revert();
    expect(await check()).toBeNull();
    // A row written around the log before the check existed: the migration must not fail on it
    // (nor delete it: it is the evidence /audit/verify reports).
    await insert('m', 0);
    await runMigrations(url);
    expect(await check()).toEqual({ convalidated: false });
    await expect(insert('m', -1)).rejects.toThrow(/audit_entries_seq_positive/); // new ones are refused all the same
    expect(await ds.query(`SELECT seq FROM audit_entries WHERE tenant_id = 'm'`)).toEqual([{ seq: '0' }]);
    await ds.query(`ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only`);
    await ds.query(`DELETE FROM audit_entries WHERE tenant_id = 'm'`);
    await ds.query(`ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only`);
    await revert();
    await runMigrations(url);
    expect(await check()).toEqual({ convalidated: true });
  });

  it('keeps ANALYZE lean on the growing tables: no statistics of documents, a rough sample of the logs, and back on down', async () => {
    await runMigrations(url);
    await ds.query(
      `INSERT INTO decisions (id, tenant_id, incident_id, kind, summary, details, created_at)
       SELECT gen_random_uuid(), 'lean', gen_random_uuid(), 'k', 'decision ' || g, jsonb_build_object('n', g),
              now() - g * interval '1 second'
         FROM generate_series(1, 5000) g`,
    );
    const analysed = async () => {
      await ds.query(`ANALYZE decisions`);
      const stats: { attname: string; bounds: number | null }[] = await ds.query(
        `SELECT attname, cardinality(histogram_bounds::text::text[]) AS bounds FROM pg_stats WHERE tablename = 'decisions'`,
      );
      return Object.fromEntries(stats.map((r) => [r.attname, r.bounds]));
    };
    const lean = await analysed();
    expect(Object.keys(lean)).not.toContain('details');
    expect(Object.keys(lean)).not.toContain('summary');
    expect(lean.created_at).toBeLessThanOrEqual(11); // a target of 10: at most 11 bounds
    const after = migrations.length - migrations.findIndex((m) => m.name === 'LeanStatistics1766600000000');
    for (let i = 0; i < after; i++) await revertLastMigration(url);
    const full = await analysed();
    expect(Object.keys(full)).toEqual(expect.arrayContaining(['details', 'summary']));
    expect(full.created_at).toBe(101); // the default target of 100
    await ds.query(`DELETE FROM decisions WHERE tenant_id = 'lean'`);
    await runMigrations(url);
  });

  describe('indexes added to tables the service writes (built CONCURRENTLY)', () => {
    const revertTo = async (name: string) => {
      await runMigrations(url);
      const after = migrations.length - migrations.findIndex((m) => m.name === name);
      for (let i = 0; i < after; i++) await revertLastMigration(url);
    };
    const index = async (name: string) =>
      (
        await ds.query(
          `SELECT i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def FROM pg_class c
            JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = $1`,
          [name],
        )
      )[0] ?? null;
    const client = async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    };

    it('are built without blocking writes, while a second replica waits to migrate', async () => {
      await revertTo('IdempotencyKeysCreatedIndex1767100000000');
      // A writer's transaction is open on idempotency_keys when the deploy's migration starts.
      const holder = await client();
      const writer = await client();
      try {
        await holder.query(`BEGIN; LOCK TABLE idempotency_keys IN ROW EXCLUSIVE MODE`);
        const first = runMigrations(url);
        // The build waits for that writer to end (a plain CREATE INDEX would wait for its lock).
        for (let i = 0; ; i++) {
          const [{ waiting }] = await ds.query(
            `SELECT count(*)::int AS waiting FROM pg_locks WHERE NOT granted AND locktype IN ('relation', 'virtualxid')
                AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())`,
          );
          if (waiting > 0) break;
          if (i > 600) throw new Error('the migration never waited for the open writer');
          await new Promise((r) => setTimeout(r, 50));
        }
        const second = runMigrations(url); // another replica starting at the same time
        // It asks for the migration lock the first holds (a session's last statement shows, waiting or not).
        for (let i = 0; ; i++) {
          const [{ asking }] = await ds.query(
            `SELECT count(*)::int AS asking FROM pg_stat_activity
              WHERE datname = current_database() AND query ~ '^SELECT pg_(try_)?advisory_lock\\('`,
          );
          if (asking >= 2) break;
          if (i > 600) throw new Error('the second replica never asked for the migration lock');
          await new Promise((r) => setTimeout(r, 50));
        }
        // Meanwhile the service's writes go on: a plain CREATE INDEX would queue them behind its lock.
        await writer.query(`SET lock_timeout = '3s'`);
        await writer.query(`BEGIN; LOCK TABLE idempotency_keys IN ROW EXCLUSIVE MODE; COMMIT`);
        await holder.query(`COMMIT`);
        // The second replica waited with no statement open, so the build's wait for older
        // snapshots did not wait for it while it waited for the first (a deadlock).
        const [applied, none] = await Promise.all([first, second]);
        expect(applied.slice(0, 3)).toEqual([
          'IdempotencyKeysCreatedIndex1767100000000',
          'NotificationPruneIndexes1767100001000',
          'IncidentsAlertEndedAt1767200000000',
        ]);
        expect(none).toEqual([]);
        for (const name of [
          'idx_idempotency_keys_created',
          'idx_notification_deliveries_finished',
          'idx_notification_repeats_last_at',
          'idx_incidents_monitoring_resolved',
        ])
          expect([name, await index(name)]).toEqual([name, expect.objectContaining({ valid: true })]);
      } finally {
        await holder.end();
        await writer.end();
      }
    });

    it('run again after a build that failed half way, replacing the invalid index it left', async () => {
      const INDEX = 'idx_incidents_monitoring_resolved';
      await revertTo('IncidentsAlertEndedAt1767200000000');
      // What a cut-off run leaves: the column added, an INVALID index of the name.
      await ds.query(`ALTER TABLE incidents ADD COLUMN alert_ended_at timestamptz(3)`);
      await ds.query(
        `INSERT INTO incidents (id, tenant_id, title, error_type, message, severity, occurred_at)
         SELECT gen_random_uuid(), 'half-way', 't', 'e', 'm', 'low', now() FROM generate_series(1, 2)`,
      );
      await expect(ds.query(`CREATE UNIQUE INDEX CONCURRENTLY ${INDEX} ON incidents ((1))`)).rejects.toThrow(
        /could not create unique index/,
      );
      expect(await index(INDEX)).toMatchObject({ valid: false });
      expect((await runMigrations(url))[0]).toBe('IncidentsAlertEndedAt1767200000000');
      expect(await index(INDEX)).toMatchObject({
        valid: true,
        def: expect.stringContaining("resolved_by = 'monitoring'"),
      });
      await ds.query(`DELETE FROM incidents WHERE tenant_id = 'half-way'`);
    });

    /**
     * The canary leases' migration widens recovery_run_steps' waiting_for check and indexes the steps
     * waiting for a canary without holding the engine's writes for a scan: the check added NOT VALID and
     * validated by itself, the index built concurrently, so no migration transaction, and each step may
     * run again after a cut-off.
     */
    it('the canary leases: run again from half way, the widened check validated, the index valid; and back on down', async () => {
      const check = async () =>
        (
          await ds.query(
            `SELECT convalidated AS validated, pg_get_constraintdef(oid) AS def FROM pg_constraint
              WHERE conname = 'recovery_run_steps_waiting_for_check'`,
          )
        )[0];
      await revertTo('CanaryLeases1767401340000');
      // What a run cut off after its first two steps leaves: the table, the widened check not validated yet.
      await ds.query(
        `CREATE TABLE canary_leases (tenant_id text NOT NULL, actuator text NOT NULL, run_id uuid, taken_at timestamptz(3),
                                     PRIMARY KEY (tenant_id, actuator))`,
      );
      await ds.query(`
        ALTER TABLE recovery_run_steps
          DROP CONSTRAINT recovery_run_steps_waiting_for_check,
          ADD CONSTRAINT recovery_run_steps_waiting_for_check
            CHECK (waiting_for IN ('call', 'result', 'timer', 'operator', 'notify', 'patch', 'next', 'canary')) NOT VALID`);
      expect(await check()).toMatchObject({ validated: false });
      expect((await runMigrations(url))[0]).toBe('CanaryLeases1767401340000');
      expect(await check()).toEqual({ validated: true, def: expect.stringContaining("'canary'") });
      expect(await index('idx_recovery_run_steps_waiting_canary')).toMatchObject({
        valid: true,
        def: expect.stringContaining("WHERE (waiting_for = 'canary'::text)"),
      });
      await revertTo('CanaryLeases1767401340000');
      expect(await check()).toEqual({ validated: true, def: expect.not.stringContaining("'canary'") });
      expect(await index('idx_recovery_run_steps_waiting_canary')).toBeNull();
      expect(await tables()).not.toContain('canary_leases');
      await runMigrations(url);
    });
  });
});
