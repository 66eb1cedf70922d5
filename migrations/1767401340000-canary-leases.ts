import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently } from '../src/platform/database/create-index-concurrently.js';

const WAITING_FOR_BEFORE = `'call', 'result', 'timer', 'operator', 'notify', 'patch', 'next'`;

/**
 * The shared canary is one trial's at a time (ADR 0018): a canary step takes its canary (the tenant's
 * actuator the step calls) in `canary_leases` before its first apply, and its run gives it back when it
 * ends (or when the trial ends, if its rollback cannot touch the canary). A step whose canary another
 * run holds waits for it (`waiting_for = 'canary'`); the release makes those steps' runs due, found by
 * the partial index.
 *
 * recovery_run_steps is written by every run's turn, so nothing here holds its writes for a scan: the
 * widened check is added NOT VALID (a moment's lock, no scan; new rows are checked at once) and then
 * validated by itself (a scan under a lock that lets writes go on), and the index is built
 * concurrently. Hence no migration transaction: each step commits on its own, and each may run again.
 */
export class CanaryLeases1767401340000 implements MigrationInterface {
  name = 'CanaryLeases1767401340000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS canary_leases (
        tenant_id text NOT NULL,
        actuator text NOT NULL,
        run_id uuid REFERENCES recovery_runs (id) ON DELETE SET NULL,
        taken_at timestamptz(3),
        PRIMARY KEY (tenant_id, actuator)
      )`);
    // One statement: the old check is never missing, and rows written meanwhile are checked by one or the other.
    await q.query(`
      ALTER TABLE recovery_run_steps
        DROP CONSTRAINT recovery_run_steps_waiting_for_check,
        ADD CONSTRAINT recovery_run_steps_waiting_for_check
          CHECK (waiting_for IN (${WAITING_FOR_BEFORE}, 'canary')) NOT VALID`);
    await q.query(`ALTER TABLE recovery_run_steps VALIDATE CONSTRAINT recovery_run_steps_waiting_for_check`);
    await createIndexConcurrently(
      q,
      'idx_recovery_run_steps_waiting_canary',
      `recovery_run_steps (tenant_id, actuator) WHERE waiting_for = 'canary'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS idx_recovery_run_steps_waiting_canary`);
    // Before the lease a canary step began its trial at once: one waiting for its canary begins it now.
    // With the narrower check in one transaction, so that no step starts to wait in between.
    await q.startTransaction();
    try {
      await q.query(
        `UPDATE recovery_run_steps SET waiting_for = 'next', started_at = now() WHERE waiting_for = 'canary'`,
      );
      await q.query(`
        ALTER TABLE recovery_run_steps
          DROP CONSTRAINT recovery_run_steps_waiting_for_check,
          ADD CONSTRAINT recovery_run_steps_waiting_for_check CHECK (waiting_for IN (${WAITING_FOR_BEFORE}))`);
      await q.commitTransaction();
    } catch (e) {
      await q.rollbackTransaction();
      throw e;
    }
    await q.query(`DROP TABLE IF EXISTS canary_leases`);
  }
}
