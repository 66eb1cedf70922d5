import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { SignalsPruner } from '../src/intake/signals/prune-signals/signals.pruner.js';
import { runMigrations } from '../src/platform/database/migrate.js';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { OutboxPruner } from '../src/platform/outbox/outbox.pruner.js';
import { RunHistoryPruner } from '../src/self-healing/runs/prune-history/run-history.pruner.js';
import { nodesOf, type PlanNode } from './support/query-plans.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';
import { createTestDatabase } from './support/test-database.js';

/** A batch of the pruners' deletes (OutboxRepository.prune, RunsRepository.pruneTransitions). */
const BATCH = 5000;
/** No scheduled round gets in the way of a round a test starts itself (the longest first delay allowed). */
const NO_ROUND = { PRUNE_FIRST_DELAY_MS: '3600000' };

/**
 * The pruners' rounds (OutboxPruner, RunHistoryPruner, IdempotencyKeysPruner): the first comes soon
 * after start-up, not an interval later, and shutdown waits for a round that is deleting, stopped
 * between two batches, before the database pool closes.
 */
describe('prune rounds', () => {
  let url: string;
  let sql: pg.Pool;
  let app: TestApp | null = null;
  let errors: string[];

  beforeEach(async () => {
    url = await createTestDatabase();
    await runMigrations(url);
    sql = new pg.Pool({ connectionString: url, max: 3 });
    errors = [];
    // LOG_LEVEL is silent in tests: what the app logs as an error is read here instead.
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void errors.push(String(message)));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await app?.stop();
    app = null;
    await sql.end();
  });

  /** `n` deliveries processed `hoursAgo`. */
  const processedDeliveries = (n: number, hoursAgo: number) =>
    sql.query(
      `INSERT INTO outbox_events (event_id, event_type, handler, tenant_id, payload, status, processed_at)
       SELECT gen_random_uuid(), 'PruneProbe', 'prune-probe', 'prune', '{}', 'done', now() - make_interval(hours => $2)
         FROM generate_series(1, $1)`,
      [n, hoursAgo],
    );

  /** A run that finished `daysAgo`, with `n` transitions written then (UUID v7 ids carry when). */
  async function finishedRun(n: number, daysAgo: number): Promise<string> {
    const {
      rows: [run],
    } = await sql.query<{ id: string }>(
      `INSERT INTO recovery_runs (id, tenant_id, playbook_id, automatic, started_by, status, phase, deadline_at, finished_at)
       VALUES (gen_random_uuid(), 'prune', 'restart', false, 'test', 'succeeded', 'done', now(), now() - make_interval(days => $1))
       RETURNING id`,
      [daysAgo],
    );
    await sql.query(
      `INSERT INTO recovery_run_transitions (id, tenant_id, run_id, to_status)
       SELECT (lpad(to_hex((extract(epoch FROM now() - make_interval(days => $3, mins => 1)) * 1000)::bigint), 12, '0')
               || substr(replace(gen_random_uuid()::text, '-', ''), 13))::uuid, 'prune', $1, 'succeeded'
         FROM generate_series(1, $2)`,
      [run.id, n, daysAgo],
    );
    return run.id;
  }

  /** `n` Idempotency-Key claims made `hoursAgo`. */
  const claims = (n: number, hoursAgo: number) =>
    sql.query(
      `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, resource_id, created_at)
       SELECT 'prune', 'POST /incidents', gen_random_uuid()::text, 'h', gen_random_uuid(), now() - make_interval(hours => $2)
         FROM generate_series(1, $1)`,
      [n, hoursAgo],
    );

  const count = async (query: string, params: unknown[] = []) =>
    Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM (${query}) q`, params)).rows[0].n);
  const deliveries = () => count(`SELECT 1 FROM outbox_events WHERE handler = 'prune-probe'`);
  const transitions = (runId: string) => count(`SELECT 1 FROM recovery_run_transitions WHERE run_id = $1`, [runId]);
  const keys = () => count(`SELECT 1 FROM idempotency_keys`);

  it('a replica prunes soon after it starts, not an interval later, and then every PRUNE_INTERVAL_MS', async () => {
    // A replica restarted more often than the interval: what it should prune is there when it starts.
    await processedDeliveries(30, 100); // past OUTBOX_RETENTION_HOURS (72)
    await processedDeliveries(5, 1);
    const old = await finishedRun(20, 40); // past RUN_HISTORY_RETENTION_DAYS (30)
    const recent = await finishedRun(4, 1);
    await claims(10, 25); // past IDEMPOTENCY_KEY_TTL_HOURS (24)
    await claims(2, 1);

    app = await startTestApp({ PRUNE_FIRST_DELAY_MS: '50', PRUNE_INTERVAL_MS: '200' }, [], url);

    await eventually(
      async () => (await deliveries()) === 5 && (await transitions(old)) === 0 && (await keys()) === 2,
      'the first round',
    );
    expect(await transitions(recent)).toBe(4);

    // Rows that age past their retention later go in a later round, with no one asking.
    await processedDeliveries(7, 100);
    const later = await finishedRun(3, 40);
    await claims(4, 25);
    await eventually(
      async () => (await deliveries()) === 5 && (await transitions(later)) === 0 && (await keys()) === 2,
      'a later round',
    );
    expect(await transitions(recent)).toBe(4);
    expect(errors).toEqual([]);
  });

  it('shutdown stops a round between two batches and waits for it before the pool closes', async () => {
    await processedDeliveries(BATCH + 1000, 100);
    const old = await finishedRun(BATCH + 1000, 40);
    app = await startTestApp(NO_ROUND, [], url);
    const pool = (app.app.get(DataSource).driver as unknown as { master: { ending: boolean } }).master;
    const pruners = [app.app.get(OutboxPruner), app.app.get(RunHistoryPruner)];

    // Every row to prune is locked, so each round's first batch waits in its DELETE until the app is closing.
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(`SELECT 1 FROM outbox_events WHERE handler = 'prune-probe' FOR UPDATE`);
    await locker.query(`SELECT 1 FROM recovery_run_transitions WHERE run_id = $1 FOR UPDATE`, [old]);
    const rounds = pruners.map((p) => p.pruneAll());
    await eventually(
      async () =>
        (await count(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
              AND (query LIKE 'DELETE FROM outbox_events%' OR query LIKE 'DELETE FROM recovery_run_transitions%')`,
        )) === 2,
      'both rounds waiting in their first batch',
    );

    const closing = app.close();
    // The batches go on once the app is closing: told to stop, or (were it not) closing its pool.
    await eventually(
      async () => pool.ending || pruners.some((p) => (p as { stopping?: boolean }).stopping),
      'the app closing',
    );
    await locker.query('COMMIT');
    await locker.end();

    await closing; // closed cleanly
    const deleted = await Promise.all(rounds);
    expect(errors).toEqual([]); // no "Cannot use a pool after calling end on the pool"
    // The round told to stop deleted its first batch only; any other finished before it was told.
    expect(deleted.every((n) => n === BATCH || n === BATCH + 1000)).toBe(true);
    expect(deleted).toContain(BATCH);
    expect((await deliveries()) + (await transitions(old))).toBe(1000 * deleted.filter((n) => n === BATCH).length);
  });

  it('prunes metric samples and symptoms past each tenant’s retentionDays, whether or not the tenant still sends', async () => {
    /** `n` samples (or symptoms) of `tenantId` taken `daysAgo`. */
    const samples = (tenantId: string, n: number, daysAgo: number) =>
      sql.query(
        `INSERT INTO signal_samples (id, tenant_id, metric, value, at)
         SELECT gen_random_uuid(), $1, 'latency_ms', i, now() - make_interval(days => $3, secs => i)
           FROM generate_series(1, $2) i`,
        [tenantId, n, daysAgo],
      );
    const symptoms = (tenantId: string, n: number, daysAgo: number) =>
      sql.query(
        `INSERT INTO signal_symptoms (id, tenant_id, metric, severity, value, baseline, mad, baseline_samples, at)
         SELECT gen_random_uuid(), $1, 'latency_ms', 'warning', 900, 100, 10, 30, now() - make_interval(days => $3, secs => i)
           FROM generate_series(1, $2) i`,
        [tenantId, n, daysAgo],
      );
    const left = (table: string, tenantId: string, olderThanDays: number) =>
      count(`SELECT 1 FROM ${table} WHERE tenant_id = $1 AND at < now() - make_interval(days => $2)`, [
        tenantId,
        olderThanDays,
      ]);
    // 'quiet' keeps the default 30 days; 'keeper' keeps 90 (as PUT /signals/settings stores it).
    await sql.query(`INSERT INTO intake_settings (tenant_id, settings) VALUES ('keeper', '{"retentionDays": 90}')`);
    await samples('quiet', BATCH + 100, 40); // more than a batch: the round goes on until none is left
    await samples('quiet', 7, 10);
    await symptoms('quiet', 3, 40);
    await symptoms('quiet', 2, 10);
    await samples('keeper', 11, 40);
    await samples('keeper', 13, 100);
    await symptoms('keeper', 5, 100);

    app = await startTestApp(NO_ROUND, [], url);
    expect(await app.app.get(SignalsPruner).pruneAll()).toBe(BATCH + 100 + 3 + 13 + 5);

    expect(await left('signal_samples', 'quiet', 30)).toBe(0);
    expect(await left('signal_samples', 'quiet', 0)).toBe(7);
    expect(await left('signal_symptoms', 'quiet', 0)).toBe(2);
    expect(await left('signal_samples', 'keeper', 0)).toBe(11);
    expect(await left('signal_symptoms', 'keeper', 0)).toBe(0);
    expect(errors).toEqual([]);
  });

  it('finds each tenant’s old samples and symptoms through a (tenant_id, at) index, not the table whole', async () => {
    // Many tenants, each with symptoms of many series, only some of them old.
    for (const table of ['signal_samples', 'signal_symptoms']) {
      const symptom = table === 'signal_symptoms';
      await sql.query(
        `INSERT INTO ${table} (id, tenant_id, metric, agent_id, value, at${symptom ? ', severity, baseline, mad, baseline_samples' : ''})
         SELECT gen_random_uuid(), 'tenant-' || (i % 40), 'metric-' || (i % 25), 'agent-' || (i % 50), i,
                now() - make_interval(days => CASE WHEN i % 100 = 0 THEN 40 ELSE 1 END, secs => i)
                ${symptom ? `, 'warning', 100, 10, 30` : ''}
           FROM generate_series(1, 40000) i`,
      );
      await sql.query(`ANALYZE ${table}`);
    }
    app = await startTestApp(NO_ROUND, [], url);
    const host = app.app.get(TransactionHost);
    const spy = jest.spyOn(host, 'query');
    expect(await app.app.get(SignalsPruner).pruneAll()).toBe(800);
    const calls = spy.mock.calls;
    spy.mockRestore();
    for (const table of ['signal_samples', 'signal_symptoms']) {
      const [text, params] = calls.find(([text]) => text.includes(`DELETE FROM ${table} `))!;
      const { rows } = await sql.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${text}`, params);
      const scans = nodesOf(rows[0]['QUERY PLAN'][0].Plan).filter((n) => n['Relation Name'] === table);
      expect(scans.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
      expect(scans.map((n) => n['Index Name'])).toContain(`idx_${table}_age`);
    }
  });
});
