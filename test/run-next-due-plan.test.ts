import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Pool } from 'pg';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { RunsRepository } from '../src/self-healing/runs/runs.repository.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * The engine looks up when its next run falls due outside any transaction, many times a second,
 * so PostgreSQL decides how to plan it. In the usual case, with no tenant to leave out, it must
 * keep one plan (ADR 0005, "Transactions plan once"), not plan it again on every call (0.2 ms a
 * call in the bench).
 */
describe('the run engine’s next-due look-up (real PostgreSQL)', () => {
  let app: TestApp;
  let tx: TransactionHost;
  let runs: RunsRepository;

  beforeAll(async () => {
    app = await startTestApp({ OUTBOX_RELAY_ENABLED: 'false' });
    tx = app.app.get(TransactionHost);
    runs = app.app.get(RunsRepository);
    // A table like a busy engine's: most runs finished, the others due soon or later, across
    // tenants. (On an empty table every plan costs the same, and PostgreSQL keeps any statement's.)
    await app.sql(
      `INSERT INTO recovery_runs (id, tenant_id, playbook_id, automatic, started_by, status, phase, deadline_at, due_at, finished_at)
       SELECT gen_random_uuid(), 'tenant-' || (i % 7), 'memory_cleanup', true, 'test',
              CASE WHEN i % 10 > 1 THEN 'succeeded' WHEN i % 10 = 1 THEN 'queued' ELSE 'running' END,
              CASE WHEN i % 10 > 1 THEN 'done' ELSE 'steps' END, now() + interval '1 hour',
              CASE WHEN i % 10 > 1 THEN NULL ELSE now() + (i % 120 - 60) * interval '1 second' END,
              CASE WHEN i % 10 > 1 THEN now() END
         FROM generate_series(1, 4000) AS i`,
    );
    await app.sql(`ANALYZE recovery_runs`);
  });
  afterAll(() => app.stop());

  /** The SQL and parameters `work` sends through the TransactionHost. */
  async function statementsOf(work: () => Promise<unknown>): Promise<Array<[string, unknown[]]>> {
    const spy = jest.spyOn(tx, 'query');
    try {
      await work();
      return spy.mock.calls.map(([sql, params]) => [sql, params ?? []]);
    } finally {
      spy.mockRestore();
    }
  }

  /** Runs the statements as prepared statement `name` on one connection; its plans, as PostgreSQL counts them. */
  async function plansOf(
    name: string,
    statements: Array<[string, unknown[]]>,
  ): Promise<{ custom: number; generic: number }> {
    expect(new Set(statements.map(([sql]) => sql)).size).toBe(1);
    const pool = (tx.dataSource.driver as unknown as { master: Pool }).master;
    const client = await pool.connect();
    try {
      for (const [text, values] of statements) await client.query({ name, text, values });
      const [row] = (
        await client.query(`SELECT custom_plans, generic_plans FROM pg_prepared_statements WHERE name = $1`, [name])
      ).rows;
      return { custom: Number(row.custom_plans), generic: Number(row.generic_plans) };
    } finally {
      client.release();
    }
  }

  const tenants = (n: number) => Array.from({ length: n }, (_, i) => `tenant-${i}`);

  it('looks up the next due run with one plan when no tenant is left out', async () => {
    const sent = await statementsOf(async () => {
      for (let i = 0; i < 8; i++) await runs.msUntilNextDue([]);
    });
    expect(await plansOf('look_up_under_test', sent)).toEqual({ custom: 0, generic: 8 });
  });

  it('still leaves out the tenants it is told to', async () => {
    expect(await runs.msUntilNextDue([])).toBe(0); // some runs are overdue
    expect(await runs.msUntilNextDue(tenants(6))).toBe(0); // tenant-6's too
    expect(await runs.msUntilNextDue(tenants(7))).toBeNull(); // every tenant left out
  });
});
