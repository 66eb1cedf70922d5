import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The shared canary is one trial's at a time (ADR 0018): a canary step takes its canary (the tenant's
 * actuator the step calls) in `canary_leases` before its first apply, and gives it back when its
 * promote or restore answered, or when its run ends. A step whose canary another run holds waits for it
 * (`waiting_for = 'canary'`); the release makes those steps' runs due, found by the partial index.
 */
export class CanaryLeases1767401340000 implements MigrationInterface {
  name = 'CanaryLeases1767401340000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE canary_leases (
        tenant_id text NOT NULL,
        actuator text NOT NULL,
        run_id uuid REFERENCES recovery_runs (id) ON DELETE SET NULL,
        taken_at timestamptz(3),
        PRIMARY KEY (tenant_id, actuator)
      )`);
    await q.query(`
      ALTER TABLE recovery_run_steps
        DROP CONSTRAINT recovery_run_steps_waiting_for_check,
        ADD CONSTRAINT recovery_run_steps_waiting_for_check
          CHECK (waiting_for IN ('call', 'result', 'timer', 'operator', 'notify', 'patch', 'next', 'canary'))`);
    await q.query(
      `CREATE INDEX idx_recovery_run_steps_waiting_canary ON recovery_run_steps (tenant_id, actuator) WHERE waiting_for = 'canary'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_recovery_run_steps_waiting_canary`);
    // Before the lease a canary step began its trial at once: one waiting for its canary begins it now.
    await q.query(
      `UPDATE recovery_run_steps SET waiting_for = 'next', started_at = now() WHERE waiting_for = 'canary'`,
    );
    await q.query(`
      ALTER TABLE recovery_run_steps
        DROP CONSTRAINT recovery_run_steps_waiting_for_check,
        ADD CONSTRAINT recovery_run_steps_waiting_for_check
          CHECK (waiting_for IN ('call', 'result', 'timer', 'operator', 'notify', 'patch', 'next'))`);
    await q.query(`DROP TABLE canary_leases`);
  }
}
