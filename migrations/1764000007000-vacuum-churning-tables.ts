import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every outbox row is written three times (stored, claimed, done), so at a few hundred loops a
 * second the table gains thousands of dead versions per second, and the claim's index scan walks
 * through their entries until a vacuum removes them. The default (vacuum after 20 % of the table
 * is dead) lets that grow without bound as the table grows; these tables are vacuumed after 1 %
 * instead, with a larger I/O budget so a run finishes quickly. (How often autovacuum looks at all
 * is the server-wide `autovacuum_naptime`: the embedded PostgreSQL uses 5 s, see the README.)
 */
const CHURNING = ['outbox_events', 'loop_traces'];

export class VacuumChurningTables1764000007000 implements MigrationInterface {
  name = 'VacuumChurningTables1764000007000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of CHURNING) {
      await q.query(
        `ALTER TABLE ${table} SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_cost_limit = 2000)`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of CHURNING) {
      await q.query(
        `ALTER TABLE ${table} RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_cost_limit)`,
      );
    }
  }
}
