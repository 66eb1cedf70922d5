import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cheaper ANALYZE for the tables that grow with every incident and run. Autovacuum re-analyses each
 * of them every few seconds while they grow (every 10 % of new rows), and each ANALYZE read and
 * sorted a 30 000-row sample of every column: over a 60 s bench at 50 incidents/s with runs that
 * was 5.2 s of PostgreSQL CPU, in bursts that held up the loop (docs/BENCHMARKS.md).
 * - Documents (jsonb), free text and hashes get no statistics: no query filters, joins or sorts on
 *   them (the read models' jsonb `->` filters are expressions, which use none), so conditions on
 *   them get the planner's default estimates as before.
 * - The logs and the outbox are read only through their keys and partial indexes, where a rough
 *   distribution is enough: a target of 10 instead of 100 for their other columns, and ANALYZE
 *   samples 300 rows per unit of the largest target, so 3 000 rows instead of 30 000.
 */
const WITHOUT_STATISTICS: Record<string, string[]> = {
  outbox_events: ['payload', 'last_error'],
  audit_entries: ['before', 'after', 'reason', 'prev_hash', 'hash'],
  decisions: ['summary', 'details'],
  loop_events: ['details'],
  loop_traces: ['stages'],
  incidents: ['context'],
  recovery_candidates: ['steps', 'params', 'decision'],
  recovery_runs: ['params', 'context', 'reason', 'recurrence_reason'],
  recovery_run_steps: ['instruction', 'params', 'condition', 'run_if', 'output', 'error', 'canary'],
  recovery_run_transitions: ['output', 'error', 'note'],
};
const ROUGH_STATISTICS = [
  'outbox_events',
  'audit_entries',
  'decisions',
  'loop_events',
  'recovery_run_steps',
  'recovery_run_transitions',
];

export class LeanStatistics1766600000000 implements MigrationInterface {
  name = 'LeanStatistics1766600000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of Object.keys(WITHOUT_STATISTICS)) {
      const none = WITHOUT_STATISTICS[table];
      const rough = ROUGH_STATISTICS.includes(table)
        ? (await columnsOf(q, table)).filter((c) => !none.includes(c))
        : [];
      const changes = [
        ...none.map((c) => `ALTER COLUMN ${c} SET STATISTICS 0`),
        ...rough.map((c) => `ALTER COLUMN ${c} SET STATISTICS 10`),
      ];
      await q.query(`ALTER TABLE ${table} ${changes.join(', ')}`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of Object.keys(WITHOUT_STATISTICS)) {
      const columns = await columnsOf(q, table);
      await q.query(`ALTER TABLE ${table} ${columns.map((c) => `ALTER COLUMN ${c} SET STATISTICS -1`).join(', ')}`);
    }
  }
}

async function columnsOf(q: QueryRunner, table: string): Promise<string[]> {
  const rows: { column_name: string }[] = await q.query(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
    [table],
  );
  return rows.map((r) => r.column_name);
}
