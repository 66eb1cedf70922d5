import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { ReviewWaitingSweeper } from '../src/integration/notifications/route-events/review-waiting.sweeper.js';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { nodesOf, type PlanNode } from './support/query-plans.js';
import { eventually, startTestApp, type TestApp } from './support/test-app.js';

/** The most rows one prune statement may delete. */
const BATCH = 5000;
const OLD = BATCH + 1000;

/**
 * Finished notification deliveries (NOTIFICATION_RETENTION_DAYS) and old repeat marks are pruned
 * on the prune schedule (PRUNE_INTERVAL_MS), not on every review.waiting sweep, in batches, each
 * found through an index rather than by reading the table whole.
 */
type Sql = (text: string, params?: unknown[]) => Promise<unknown>;

describe('retention of notification deliveries', () => {
  /** Deliveries of a channel that does not exist (so never sent), `daysAgo` old. */
  const seedDeliveries = (sql: Sql, n: number, status: string, daysAgo: number) =>
    sql(
      `INSERT INTO notification_deliveries (id, tenant_id, channel, rule, event, subject_key, severity, notice, status, updated_at)
       SELECT gen_random_uuid(), 'keep', 'nowhere', 'r1', 'run.failed', 'run.failed ' || g, 'high', '{}', $2,
              now() - make_interval(days => $3)
         FROM generate_series(1, $1) g`,
      [n, status, daysAgo],
    );
  /** Repeat marks of rule r1 (a one-minute interval), set `daysAgo`. */
  const seedRepeats = (sql: Sql, n: number, daysAgo: number, prefix: string) =>
    sql(
      `INSERT INTO notification_repeats (tenant_id, rule, subject_key, last_at)
       SELECT 'keep', 'r1', $3 || g, now() - make_interval(days => $2) FROM generate_series(1, $1) g`,
      [n, daysAgo, prefix],
    );
  const seedRule = (sql: Sql) =>
    sql(`
      WITH channel AS (
        INSERT INTO notification_channels (tenant_id, name, type, url_sealed, url_shown, timeout_ms)
        VALUES ('keep', 'ops', 'webhook', 'never opened', 'https://ops.example.com/…', 1000))
      INSERT INTO notification_rules (tenant_id, name, channel, events, min_severity, repeat_interval_ms)
      VALUES ('keep', 'r1', 'ops', '{run.failed}', 'low', 60000)`);
  const countOf = async (app: TestApp, query: string) =>
    Number((await app.sql(`SELECT count(*) AS n FROM ${query}`))[0].n);

  describe('on the prune schedule', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ PRUNE_FIRST_DELAY_MS: '0', PRUNE_INTERVAL_MS: '200', NOTIFICATION_SWEEP_MS: '200' });
    });
    afterAll(() => app.stop());

    it('deletes old finished deliveries and repeat marks, at most a batch per statement, through indexes; keeps the rest', async () => {
      const spy = jest.spyOn(app.app.get(TransactionHost), 'queryOutside');
      // All at once, as a round finds them after a while: the oldest first, most finished deliveries recent.
      const client = new pg.Client({ connectionString: app.database.url });
      await client.connect();
      const sql: Sql = (text, params) => client.query(text, params);
      await sql('BEGIN');
      await seedRule(sql);
      await seedDeliveries(sql, OLD / 3, 'sent', 40);
      await seedDeliveries(sql, OLD / 3, 'dead', 40);
      await seedDeliveries(sql, OLD / 3, 'suppressed', 40);
      await seedDeliveries(sql, 7, 'pending', 40);
      await seedRepeats(sql, OLD, 40, 'old ');
      await seedDeliveries(sql, 10 * OLD, 'sent', 1);
      await seedRepeats(sql, 10 * OLD, 1, 'recent ');
      await sql('ANALYZE notification_deliveries');
      await sql('ANALYZE notification_repeats');
      await sql('COMMIT');
      await client.end();

      await eventually(
        async () =>
          (await countOf(app, `notification_deliveries WHERE updated_at < now() - interval '30 days'`)) === 7 &&
          (await countOf(app, `notification_repeats WHERE last_at < now() - interval '30 days'`)) === 0,
        'the old ones pruned',
      );
      expect(await countOf(app, `notification_deliveries WHERE status = 'pending'`)).toBe(7);
      expect(await countOf(app, `notification_deliveries WHERE updated_at > now() - interval '30 days'`)).toBe(
        10 * OLD,
      );
      expect(await countOf(app, `notification_repeats`)).toBe(10 * OLD);

      // Every statement that deleted them, as the app ran it.
      const calls = await Promise.all(
        spy.mock.calls.map(async ([sql, params], i) => ({
          sql,
          params,
          deleted: ((await spy.mock.results[i].value) as unknown[]).length,
        })),
      );
      spy.mockRestore();
      for (const table of ['notification_deliveries', 'notification_repeats']) {
        const deletes = calls.filter((c) => c.sql.trimStart().startsWith(`DELETE FROM ${table}`));
        expect(deletes.reduce((sum, c) => sum + c.deleted, 0)).toBe(OLD);
        expect(Math.max(...deletes.map((c) => c.deleted))).toBeLessThanOrEqual(BATCH);
        // Its plan reads the table through an index (and deletes by row address), never whole.
        const [{ 'QUERY PLAN': plan }] = await app.sql<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
          `EXPLAIN (FORMAT JSON) ${deletes[0].sql}`,
          deletes[0].params,
        );
        const nodes = nodesOf(plan[0].Plan).filter((n) => n['Relation Name'] === table);
        expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
        expect(nodes.map((n) => n['Node Type'])).toContain('Tid Scan');
        expect(nodes.map((n) => n['Index Name'])).toContain(
          table === 'notification_deliveries'
            ? 'idx_notification_deliveries_finished'
            : 'idx_notification_repeats_last_at',
        );
      }
    });
  });

  describe('the review.waiting sweep', () => {
    let app: TestApp;
    beforeAll(async () => {
      // Nothing on a timer: the test sweeps itself.
      app = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' });
    });
    afterAll(() => app.stop());

    it('no longer prunes: it runs every NOTIFICATION_SWEEP_MS on every replica', async () => {
      await seedRule(app.sql);
      await seedDeliveries(app.sql, 3, 'sent', 40);
      await seedRepeats(app.sql, 3, 40, 'old ');
      await app.app.get(ReviewWaitingSweeper).sweep();
      expect(await countOf(app, `notification_deliveries`)).toBe(3);
      expect(await countOf(app, `notification_repeats`)).toBe(3);
    });
  });
});
